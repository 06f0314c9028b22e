package keepalived

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Scope says what a notify line is about.
type Scope string

// Scopes of vrrp_notify_fifo lines.
const (
	ScopeInstance Scope = "INSTANCE"
	ScopeGroup    Scope = "GROUP" // vrrp_sync_group; floatgw renders none
)

// NotifyType is the word after the name in a vrrp_notify_fifo line.
type NotifyType string

// The words keepalived 2.2.7 writes (keepalived-samples/README.md, "Notify
// FIFO"). Unknown upper-case words from newer versions are passed through
// as they are.
const (
	NotifyBackup           NotifyType = "BACKUP"
	NotifyMaster           NotifyType = "MASTER"
	NotifyFault            NotifyType = "FAULT"
	NotifyStop             NotifyType = "STOP"    // SIGTERM; nothing is written on SIGKILL
	NotifyDeleted          NotifyType = "DELETED" // instance removed by a reload (notify_deleted)
	NotifyMasterPriority   NotifyType = "MASTER_PRIORITY"
	NotifyBackupPriority   NotifyType = "BACKUP_PRIORITY"
	NotifyMasterRxLowerPri NotifyType = "MASTER_RX_LOWER_PRI" // once per received advert during a split brain
)

// IsState reports whether t is a state transition (as opposed to a
// priority change or the lower-priority-advert notice).
func (t NotifyType) IsState() bool {
	switch t {
	case NotifyBackup, NotifyMaster, NotifyFault, NotifyStop, NotifyDeleted:
		return true
	}
	return false
}

// Notification is one decoded vrrp_notify_fifo line, e.g.
// `INSTANCE "GW" MASTER_PRIORITY 50`. Priority is the instance's effective
// priority at that moment.
type Notification struct {
	Scope       Scope
	Name        string
	Type        NotifyType
	Priority    int  // 0..255; valid only when HasPriority
	HasPriority bool // GROUP lines may carry no priority
}

// String encodes n back into keepalived's line format, without the
// trailing newline. ParseFIFOLine(n.String()) == n for every n it returned.
func (n Notification) String() string {
	var b strings.Builder
	b.WriteString(string(n.Scope))
	b.WriteString(` "`)
	b.WriteString(n.Name)
	b.WriteString(`" `)
	b.WriteString(string(n.Type))
	if n.HasPriority {
		b.WriteByte(' ')
		b.WriteString(strconv.Itoa(n.Priority))
	}
	return b.String()
}

// MaxFIFOLine bounds a notify line; keepalived writes far shorter ones.
const MaxFIFOLine = 512

// ErrBadFIFOLine is wrapped by every ParseFIFOLine error.
var ErrBadFIFOLine = errors.New("bad notify fifo line")

// ParseFIFOLine decodes one vrrp_notify_fifo line (a trailing "\n" is
// allowed). It is pure, never panics and does not retain line.
func ParseFIFOLine(line string) (Notification, error) {
	bad := func(why string) (Notification, error) {
		return Notification{}, fmt.Errorf("%w: %s", ErrBadFIFOLine, why)
	}
	line = strings.TrimSuffix(line, "\n")
	if len(line) > MaxFIFOLine {
		return bad("longer than " + strconv.Itoa(MaxFIFOLine) + " bytes")
	}
	sp := strings.IndexByte(line, ' ')
	if sp < 0 {
		return bad("no fields")
	}
	var n Notification
	switch Scope(line[:sp]) {
	case ScopeInstance:
		n.Scope = ScopeInstance
	case ScopeGroup:
		n.Scope = ScopeGroup
	default:
		return bad(fmt.Sprintf("unknown scope %q", line[:sp]))
	}
	rest := line[sp+1:]
	if len(rest) < 2 || rest[0] != '"' {
		return bad("name is not quoted")
	}
	// The name ends at the last quote: the word and priority hold none.
	end := strings.LastIndexByte(rest, '"')
	if end <= 1 {
		return bad("empty or unterminated name")
	}
	name := rest[1:end]
	for i := 0; i < len(name); i++ {
		if c := name[i]; c < ' ' || c == 0x7f {
			return bad("control character in name")
		}
	}
	n.Name = strings.Clone(name)
	rest = rest[end+1:]
	if len(rest) < 2 || rest[0] != ' ' {
		return bad("no type after name")
	}
	fields := strings.Split(rest[1:], " ")
	if len(fields) > 2 {
		return bad("too many fields")
	}
	word := fields[0]
	if word == "" || len(word) > 32 {
		return bad("empty or long type")
	}
	for i := 0; i < len(word); i++ {
		if c := word[i]; !(c >= 'A' && c <= 'Z' || c == '_') {
			return bad(fmt.Sprintf("type %q is not an upper-case word", word))
		}
	}
	n.Type = NotifyType(strings.Clone(word))
	if len(fields) == 2 {
		p, ok := parsePriority(fields[1])
		if !ok {
			return bad(fmt.Sprintf("priority %q is not 0..255", fields[1]))
		}
		n.Priority, n.HasPriority = p, true
	} else if n.Scope == ScopeInstance {
		return bad("instance line without priority")
	}
	return n, nil
}

// parsePriority accepts canonical decimal 0..255 (no sign, no leading zero).
func parsePriority(s string) (int, bool) {
	if s == "" || len(s) > 3 || (len(s) > 1 && s[0] == '0') {
		return 0, false
	}
	v := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int(c-'0')
	}
	if v > 255 {
		return 0, false
	}
	return v, true
}
