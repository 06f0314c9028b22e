package keepalived

import (
	"bufio"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// allPatterns lists every pattern this package compiles.
func allPatterns() []*pattern {
	ps := []*pattern{identRE, consoleRE, instanceRE}
	for _, p := range LogPatterns {
		ps = append(ps, p.re)
	}
	return ps
}

// matchInputs are hand-made lines around the patterns' edges.
var matchInputs = []string{
	"", " ", "x",
	"Nov 21 22:09:20 r1 Keepalived_vrrp[29045]: (GW) Entering MASTER STATE",
	"Keepalived[1]: Starting Keepalived v2.2.7 (01/16,2022)",
	"xKeepalived_vrrp[1]: no boundary", "Keepalived_VRRP[1]: upper", "Keepalived_vrrp[]: no pid",
	"Sat Nov 21 22:09:20 2026: (GW) Entering BACKUP STATE", "Sat Nov  1 22:09:20 2026: x", "sat Nov 21 22:09:20 2026: x",
	"(/etc/keepalived/keepalived.conf: Line 12) (GW) Unknown keyword 'foo'", "VRRP_Instance(GW) Entering FAULT STATE",
	"(GW): Expected unicast packet but received multicast", "(GW) Expected unicasticast packet but received unicasticasticast",
	"ip address associated with VRID 51 not present in MASTER advert : 192.168.77.1",
	"ip address associated with VRID not present in received packet", "ip address associated with VRID51not present in MASTER advert:x",
	"(a) and (b) both use VRID 51", "x and y and z both use VRID 7 and 8", "aaaa and  both use VRID 1",
	"Unable To Access Script `/x`", "SCRIPT /x IS NOT EXECUTABLE", "script  is not executable",
	"Reloading", "Reloading configuration.", "Reloading configuration. extra", "Reloading.",
	"send advert error 1 (Operation not permitted)", "send advert error 1 (nested (paren))", "send advert error  ()",
	"advertisement interval mismatch mine=1 sec rcv'd=2 sec", "advertisement interval 300 is out of range",
	"Changing effective priority from 100 to 50", "tracked file /tmp/t now FAULT state", "Netlink reports lan0 down",
	"interface lan9 for vrrp_instance GW doesn't exist", "interface eth0 for ip address 1.2.3.4 doesn't exist",
	"Received advert from 192.168.77.3 with lower priority 100, ours 150, forcing new election",
	"received lower priority (0) advert from 192.168.77.3 - discarding", "ünïcode (GW) ✓ Netlink reports wlän0 down",
	"Keepalived_vrrp[1]: " + strings.Repeat("a", 3000) + " and b both use VRID 1",
}

// TestPatternMatchesRegexp compares every pattern with package regexp on
// the fixture logs and on edge cases: the same match, the same groups.
func TestPatternMatchesRegexp(t *testing.T) {
	inputs := append([]string(nil), matchInputs...)
	dir := samplesDir(t, "logs")
	files, _ := filepath.Glob(filepath.Join(dir, "*"))
	if len(files) == 0 {
		t.Fatalf("no log fixtures in %s", dir)
	}
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(fh)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			line := sc.Text()
			inputs = append(inputs, line, ParseLogLine(line).Message)
		}
		fh.Close()
	}
	matched := 0
	for _, p := range allPatterns() {
		re := regexp.MustCompile(p.String())
		for _, in := range inputs {
			want := re.FindStringSubmatchIndex(in)
			got := p.FindStringSubmatchIndex(in)
			if want != nil {
				matched++
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("pattern %q on %.80q (-regexp +pattern):\n%s", p, in, diff)
			}
		}
	}
	// A comparison in which nothing matches proves nothing.
	if matched < 100 {
		t.Errorf("only %d matches over %d inputs", matched, len(inputs))
	}
}

func TestCompilePatternRefuses(t *testing.T) {
	for _, src := range []string{
		`a*?`, `a+?`, `a{1,2}`, `a{0}`, `(?P<n>a)`, `(?s)a`, `a(?i)b`, `\pL`, `\1`, `[a`, `(a`, `a)`, `*a`,
		`[[:alpha:]]`, `\`, `[z-a]`, `(a){2}`,
	} {
		if _, err := compilePattern(src); err == nil {
			t.Errorf("compilePattern(%q) accepted", src)
		}
	}
	for _, src := range []string{`a{2}b`, `[^()\s:]+`, `(?i)Ab|c`, `x.y`, `[a-c-]`, `[]a]`, `a$|^b`, `(a|)b`} {
		p, err := compilePattern(src)
		if err != nil {
			t.Errorf("compilePattern(%q): %v", src, err)
			continue
		}
		re := regexp.MustCompile(src)
		for _, in := range []string{"aab", "x\ny", "xzy", "AB", "aB", "c", "]", "-", "b", "a", "ab", "(x:)"} {
			if diff := cmp.Diff(re.FindStringSubmatchIndex(in), p.FindStringSubmatchIndex(in)); diff != "" {
				t.Errorf("%q on %q (-regexp +pattern):\n%s", src, in, diff)
			}
		}
	}
}

func FuzzPattern(f *testing.F) {
	for _, in := range matchInputs {
		f.Add(in)
	}
	ps := allPatterns()
	res := make([]*regexp.Regexp, len(ps))
	for i, p := range ps {
		res[i] = regexp.MustCompile(p.String())
	}
	f.Fuzz(func(t *testing.T, in string) {
		for i, p := range ps {
			if diff := cmp.Diff(res[i].FindStringSubmatchIndex(in), p.FindStringSubmatchIndex(in)); diff != "" {
				t.Fatalf("pattern %q on %q (-regexp +pattern):\n%s", p, in, diff)
			}
		}
	})
}
