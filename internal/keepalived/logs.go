package keepalived

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"

	"github.com/floatgw/floatgw/internal/proc"
)

// Severity ranks a known log line. keepalived logs everything at
// daemon.info (keepalived-samples: "Every line has priority <30>"), so the
// severity comes from this table, not from syslog.
type Severity int

// Severities, lowest first.
const (
	SeverityInfo Severity = iota
	SeverityWarning
	SeverityError
)

func (s Severity) String() string {
	switch s {
	case SeverityInfo:
		return "info"
	case SeverityWarning:
		return "warning"
	case SeverityError:
		return "error"
	}
	return "severity(" + strconv.Itoa(int(s)) + ")"
}

// LogMatch is a recognised keepalived log message.
type LogMatch struct {
	// Code is a stable UPPER_SNAKE identifier (see LogPatterns).
	Code     string
	Severity Severity
	// Instance is the VRRP instance named in the line, if any.
	Instance string
	// Args are the values the pattern captures (errno, addresses,
	// priorities, names), in the order of the pattern.
	Args []string
}

// LogLine is one log line split into its parts.
type LogLine struct {
	Raw string
	// Ident is the syslog ident (Keepalived, Keepalived_vrrp, ...) when the
	// line has one; PID its pid (0 if none).
	Ident string
	PID   int
	// Message is the text keepalived logged, without time/host/ident.
	Message string
	// Match is set when the message is a known one.
	Match *LogMatch
}

// LogPattern maps one keepalived message shape to a code.
type LogPattern struct {
	Code     string
	Severity Severity
	// Meaning says in one line what the message tells the operator.
	Meaning string
	re      *pattern
}

// logPatternSrc is LogPatterns' source: plain data, so the table costs no
// init code; compileLogPatterns builds LogPatterns from it at start-up.
type logPatternSrc struct {
	code     string
	severity Severity
	meaning  string
	re       string
}

func compileLogPatterns(src []logPatternSrc) []LogPattern {
	out := make([]LogPattern, len(src))
	for i, p := range src {
		out[i] = LogPattern{Code: p.code, Severity: p.severity, Meaning: p.meaning, re: mustCompile(p.re)}
	}
	return out
}

// LogPatterns is the table MatchLogMessage uses, most specific first. Sources:
// the seeds' error table and troubleshooting cases, keepalived 2.2.7's
// captured logs (keepalived-samples/logs) and vrrp.c's messages.
var LogPatterns = compileLogPatterns(logPatternTable[:])

var logPatternTable = [...]logPatternSrc{
	// Seeds, case 3.2: local netfilter drops outgoing adverts.
	{"SEND_ADVERT_ERROR", SeverityError, "keepalived cannot send adverts (errno 1: local firewall drops VRRP output)",
		`send advert error (\d+) \(([^)]*)\)`},
	{"CANT_SEND_ADVERT", SeverityError, "keepalived cannot send an advert to a unicast peer", `Cant send advert to (\S+)`},
	// Seeds, case 3.1: duplicate virtual_router_id on the segment.
	{"BOGUS_VRRP_PACKET", SeverityError, "a malformed or foreign VRRP packet arrived (duplicate VRID on the segment?)", `bogus VRRP packet received`},
	{"VRID_MISMATCH", SeverityError, "another router uses this VRID with other VIPs", `VRID mismatch`},
	{"VIP_NOT_IN_ADVERT", SeverityError, "the master's advert lacks our VIP: another router uses this VRID",
		`ip address associated with VRID\s*(\d*) not present in (?:MASTER advert|received packet)\s*:?\s*(\S*)`},
	{"VIP_COUNT_MISMATCH", SeverityError, "the peer advertises a different number of VIPs", `expected (\d+) VIPs but received (\d+)`},
	{"ADVERT_INTERVAL_MISMATCH", SeverityError, "the peers use different advert_int values", `advertisement interval mismatch mine=(\S+) sec rcv'd=(\S+) sec`},
	{"AUTH_PASS_MISMATCH", SeverityError, "the peer's auth_pass differs", `received an invalid passwd`},
	{"AUTH_TYPE_MISMATCH", SeverityError, "one peer uses authentication and the other does not", `received a (\d+) auth, expecting (\d+)`},
	{"AUTH_PASS_TRUNCATED", SeverityWarning, "auth_pass longer than 8 characters was truncated", `Truncating auth_pass to 8 characters`},
	{"UNICAST_MULTICAST_MISMATCH", SeverityError, "one peer uses unicast and the other multicast", `Expected (\S+)icast packet but received (\S+)icast`},
	{"UNICAST_SOURCE_NOT_PEER", SeverityError, "an advert came from an address that is not a configured unicast peer", `unicast source address (\S+) not a unicast peer`},
	{"SPLIT_BRAIN_ELECTION", SeverityWarning, "a master heard a lower-priority master: both held the VIP",
		`Received advert from (\S+) with lower priority (\d+), ours (\d+), forcing new election`},
	{"RECEIVED_LOWER_PRIORITY", SeverityInfo, "a backup ignores a demoted master's adverts until its master-down timer fires",
		`received lower priority \((\d+)\) advert from (\S+) - discarding`},
	{"MASTER_SAW_HIGHER_PRIORITY", SeverityInfo, "a master yields to a higher-priority peer",
		`Master received advert from (\S+) with higher priority (\d+), ours (\d+)`},
	{"PRIORITY_ZERO_RECEIVED", SeverityInfo, "the master left gracefully (priority-0 advert)", `Backup received priority 0 advertisement`},
	{"PRIORITY_ZERO_SENT", SeverityInfo, "this node left MASTER gracefully (priority-0 advert)", `sent 0 priority`},
	{"ADVERT_TIMEOUT", SeverityInfo, "no advert from a master within Master_Down_Interval", `Receive advertisement timeout`},
	{"STATE_MASTER", SeverityInfo, "the instance became MASTER", `Entering MASTER STATE`},
	{"STATE_BACKUP", SeverityInfo, "the instance became BACKUP", `Entering BACKUP STATE`},
	{"STATE_FAULT", SeverityWarning, "the instance is in FAULT (interface down or a demotion track file)", `Entering FAULT STATE`},
	{"TRACK_FILE_FAULT", SeverityWarning, "a weight-0 track file put the instance into FAULT", `tracked file (\S+) now FAULT state`},
	{"TRACK_FILE_RECOVERED", SeverityInfo, "a weight-0 track file left FAULT", `tracked file (\S+) leaving FAULT state`},
	{"TRACK_FILE_NOT_FOUND", SeverityError, "an instance names an undefined track_file", `track file (\S+) not found`},
	{"EFFECTIVE_PRIORITY_CHANGED", SeverityInfo, "tracking changed the instance's priority", `Changing effective priority from (\d+) to (\d+)`},
	{"INTERFACE_DOWN", SeverityWarning, "the VRRP interface went down", `Netlink reports (\S+) down`},
	{"INTERFACE_UP", SeverityInfo, "the VRRP interface came up", `Netlink reports (\S+) up`},
	{"INTERFACE_MISSING", SeverityError, "the configured interface does not exist", `interface (\S+) for (?:vrrp_instance|ip address) (\S+) doesn't exist|Non-existent interface specified`},
	{"STRICT_MODE_FIREWALL", SeverityWarning, "vrrp_strict/no_accept: keepalived drops traffic to the VIP", `setting firewall drop rule`},
	{"DUPLICATE_VRID_CONFIG", SeverityError, "two local instances use the same VRID on one interface", `(\S+) and (\S+) both use VRID (\d+)`},
	{"BOTH_ADDRESS_OWNER", SeverityError, "both routers are configured with priority 255", `both configured as address owner`},
	{"ADVERT_INTERVAL_ADJUSTED", SeverityWarning, "advert_int is not valid for the VRRP version and was changed",
		`advertisement interval \S+ (?:must be|is out of range)`},
	{"NOTIFY_SCRIPT_ERROR", SeverityError, "a notify script cannot run (state changes not reported)",
		`(?i)unable to access script|script \S+ is not executable|cannot find script|disabling notify`},
	{"CONFIG_ERROR", SeverityError, "keepalived found an error in its configuration",
		`Unknown keyword '|There are \d+ missing|outside range|the virtual router id must be set|Unknown interface!|No VIP specified|VRRP parsed invalid IP|unknown state '|Configuration error|does not support authentication|is incompatible with|due to address_owner|must be greater than 0|must be between`},
	{"DAEMON_ALREADY_RUNNING", SeverityError, "a new keepalived exited because an old one (or its zombie) still runs", `daemon is already running`},
	{"ZOMBIE_PID_FILE", SeverityWarning, "keepalived found a stale pid file (previous crash or kill)", `Remove a zombie pid file (\S+)`},
	{"KEEPALIVED_STARTED", SeverityInfo, "keepalived started", `Starting Keepalived v(\S+)`},
	{"KEEPALIVED_STOPPED", SeverityInfo, "keepalived stopped", `Stopped Keepalived v(\S+)`},
	{"KEEPALIVED_RELOADED", SeverityInfo, "keepalived reloaded its configuration", `Reloading(?: configuration)?\.?$`},
}

var (
	// "Keepalived_vrrp[29045]: " in syslog, logread and journal lines.
	identRE = mustCompile(`\b(Keepalived(?:_[a-z]+)?)\[(\d+)\]: `)
	// keepalived -l console prefix: "Sat Nov 21 22:09:20 2026: ".
	consoleRE = mustCompile(`^[A-Z][a-z]{2} [A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \d{4}: `)
	// "(GW) ...", "(GW): ...", "VRRP_Instance(GW) ..." after an optional
	// "(file: Line N) " config prefix.
	instanceRE = mustCompile(`^(?:\([^()]*Line \d+\) )?(?:VRRP_Instance)?\(([^()\s:]+)\)`)
)

// ParseLogLine splits a log line (syslog datagram, logread, journalctl,
// syslog file or keepalived's -l console form) and matches its message
// against LogPatterns. It is pure and safe for concurrent use.
func ParseLogLine(raw string) LogLine {
	l := LogLine{Raw: raw, Message: raw}
	if m := identRE.FindStringSubmatchIndex(raw); m != nil {
		l.Ident = raw[m[2]:m[3]]
		l.PID, _ = strconv.Atoi(raw[m[4]:m[5]])
		l.Message = raw[m[1]:]
	} else if m := consoleRE.FindStringIndex(raw); m != nil {
		l.Message = raw[m[1]:]
	}
	if mt, ok := MatchLogMessage(l.Message); ok {
		l.Match = &mt
	}
	return l
}

// MatchLogMessage matches one keepalived message (without prefixes).
func MatchLogMessage(msg string) (LogMatch, bool) {
	for _, p := range LogPatterns {
		sm := p.re.FindStringSubmatch(msg)
		if sm == nil {
			continue
		}
		m := LogMatch{Code: p.Code, Severity: p.Severity}
		for _, a := range sm[1:] {
			if a != "" {
				m.Args = append(m.Args, a)
			}
		}
		if im := instanceRE.FindStringSubmatch(msg); im != nil {
			m.Instance = im[1]
		}
		return m, true
	}
	return LogMatch{}, false
}

// LogSourceKind says where LogSource reads from.
type LogSourceKind int

// Log sources.
const (
	LogFromLogread LogSourceKind = iota // OpenWrt's logd (logread)
	LogFromJournal                      // systemd journal (journalctl)
	LogFromFile                         // a syslog file (/var/log/syslog, /var/log/messages)
)

// LogSource reads recent keepalived lines. It runs logread or journalctl
// with an argument list (never a shell) or reads the tail of a file. A
// LogSource is a plain value, safe for concurrent use.
type LogSource struct {
	Kind LogSourceKind
	// Path is the file for LogFromFile.
	Path string
	// Lines is how many keepalived lines to return at most (the newest);
	// zero means 200.
	Lines int
}

const maxLogBytes = 4 << 20

// DetectLogSource picks logread when present (OpenWrt), else the journal
// when journald runs, else the first existing syslog file.
func DetectLogSource() LogSource {
	if _, err := proc.LookPath("logread"); err == nil {
		return LogSource{Kind: LogFromLogread}
	}
	if _, err := os.Stat("/run/systemd/journal/socket"); err == nil {
		if _, err := proc.LookPath("journalctl"); err == nil {
			return LogSource{Kind: LogFromJournal}
		}
	}
	for _, p := range []string{"/var/log/syslog", "/var/log/messages"} {
		if _, err := os.Stat(p); err == nil {
			return LogSource{Kind: LogFromFile, Path: p}
		}
	}
	return LogSource{Kind: LogFromFile, Path: "/var/log/syslog"}
}

func (s LogSource) lines() int {
	if s.Lines <= 0 {
		return 200
	}
	return s.Lines
}

// Argv returns the command LogSource runs, or nil for LogFromFile.
func (s LogSource) Argv() []string {
	switch s.Kind {
	case LogFromLogread:
		// logread's -l counts all lines before -e filters them, so filter
		// here and keep the newest Lines in Read.
		return []string{"logread", "-e", "Keepalived"}
	case LogFromJournal:
		return []string{"journalctl", "--no-pager", "--quiet", "-o", "short-iso",
			"-n", strconv.Itoa(s.lines()),
			"-t", "Keepalived", "-t", "Keepalived_vrrp", "-t", "Keepalived_healthcheckers"}
	}
	return nil
}

// Read returns the newest keepalived lines, oldest first, each parsed.
func (s LogSource) Read(ctx context.Context) ([]LogLine, error) {
	var r io.Reader
	switch s.Kind {
	case LogFromLogread, LogFromJournal:
		argv := s.Argv()
		out, err := proc.Run(ctx, proc.Cmd{Argv: argv, MaxStdout: maxLogBytes, MaxStderr: 4096})
		if err != nil {
			return nil, fmt.Errorf("read keepalived log with %s: %w: %s", argv[0], err, bytes.TrimSpace(out.Stderr))
		}
		r = bytes.NewReader(out.Stdout)
	case LogFromFile:
		f, err := os.Open(s.Path)
		if err != nil {
			return nil, fmt.Errorf("read keepalived log: %w", err)
		}
		defer f.Close()
		if fi, err := f.Stat(); err == nil && fi.Size() > maxLogBytes {
			if _, err := f.Seek(fi.Size()-maxLogBytes, io.SeekStart); err != nil {
				return nil, fmt.Errorf("read keepalived log: %w", err)
			}
		}
		r = f
	default:
		return nil, errors.New("read keepalived log: unknown source kind")
	}
	return tailKeepalived(r, s.lines(), s.Kind == LogFromFile)
}

// tailKeepalived keeps the newest n lines; with filter, only lines that
// carry a Keepalived ident.
func tailKeepalived(r io.Reader, n int, filter bool) ([]LogLine, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), 64*1024)
	ring := make([]string, 0, n)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || (filter && !identRE.MatchString(line)) {
			continue
		}
		if len(ring) == n {
			copy(ring, ring[1:])
			ring = ring[:n-1]
		}
		ring = append(ring, line)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read keepalived log: %w", err)
	}
	out := make([]LogLine, len(ring))
	for i, l := range ring {
		out[i] = ParseLogLine(l)
	}
	return out, nil
}
