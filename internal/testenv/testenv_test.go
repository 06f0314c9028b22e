package testenv

import (
	"bytes"
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestRepoRoot(t *testing.T) {
	root := RepoRoot(t)
	b, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(b, []byte("module github.com/floatgw/floatgw\n")) {
		t.Errorf("%s/go.mod is not floatgw's: %.40q", root, b)
	}
	if _, err := os.Stat(filepath.Join(root, "internal", "testenv", "doc.go")); err != nil {
		t.Error(err)
	}
}

func TestSharedDir(t *testing.T) {
	want := filepath.Join(RepoRoot(t), "..", "shared", "keepalived-samples")
	if _, err := os.Stat(want); err != nil {
		t.Skipf("SKIP (FIXTURES MISSING): %s", want)
	}
	if got := SharedDir(t, "keepalived-samples"); got != want {
		t.Errorf("SharedDir = %s, want %s", got, want)
	}
	var skipped bool
	t.Run("missing", func(t *testing.T) {
		defer func() { skipped = t.Skipped() }()
		SharedDir(t, "no-such-fixture-dir")
		t.Error("SharedDir returned for a missing directory")
	})
	if !skipped {
		t.Error("SharedDir did not skip for a missing directory")
	}
}

func TestStopAfterCancel(t *testing.T) {
	d := StopAfterCancel(t, 10*time.Millisecond, func(ctx context.Context) error {
		<-ctx.Done()
		time.Sleep(30 * time.Millisecond)
		return nil
	})
	if d < 30*time.Millisecond || d > time.Second {
		t.Errorf("stop took %v, want 30 ms..1 s", d)
	}
}

// TestNetns builds two namespaces joined by a veth pair and checks that
// Do runs inside one (sees its device, not the host's or the other
// end's) and that the namespaces are gone after cleanup.
func TestNetns(t *testing.T) {
	NeedNetns(t)
	var names []string
	t.Run("build", func(t *testing.T) {
		a, b := NewNetns(t, "te", "a"), NewNetns(t, "te", "a")
		if a.Name == b.Name {
			t.Fatalf("two namespaces named %s", a.Name)
		}
		names = []string{a.Name, b.Name}
		a.Veth(t, "te0", b, "te1")
		a.IP(t, "link", "set", "te0", "up")
		b.IP(t, "link", "set", "te1", "up")
		a.WaitCarrier(t, "te0")
		b.WaitCarrier(t, "te1")
		var aHas0, aHas1, bHas1 bool
		a.Do(t, func() {
			_, err := net.InterfaceByName("te0")
			aHas0 = err == nil
			_, err = net.InterfaceByName("te1")
			aHas1 = err == nil
		})
		b.Do(t, func() { _, err := net.InterfaceByName("te1"); bHas1 = err == nil })
		if !aHas0 || aHas1 || !bHas1 {
			t.Errorf("te0 in a: %v, te1 in a: %v, te1 in b: %v; want true, false, true", aHas0, aHas1, bHas1)
		}
		if _, err := net.InterfaceByName("te0"); err == nil {
			t.Error("te0 visible outside its namespace")
		}
		if out, err := b.Command("ip", "-o", "link", "show", "te1").CombinedOutput(); err != nil || !bytes.Contains(out, []byte("te1")) {
			t.Errorf("ip link show te1 inside b: %v %s", err, out)
		}
		a.Veth(t, "same0", nil, "same1")
		a.IP(t, "link", "show", "same1")

		VethPair(t, VethEnd{NS: a, Dev: "p0", MAC: "02:77:00:00:00:0a", Addrs: []string{"10.250.0.1/24"}},
			VethEnd{NS: b, Dev: "p0", Addrs: []string{"10.250.0.2/24", "10.250.0.3/24"}})
		var up bool
		var addrs []string
		b.Do(t, func() {
			ifi, err := net.InterfaceByName("p0")
			if err != nil {
				return
			}
			up = ifi.Flags&net.FlagRunning != 0
			as, _ := ifi.Addrs()
			for _, x := range as {
				if ip, ok := x.(*net.IPNet); ok && ip.IP.To4() != nil {
					addrs = append(addrs, x.String())
				}
			}
		})
		if !up || len(addrs) != 2 || addrs[0] != "10.250.0.2/24" || addrs[1] != "10.250.0.3/24" {
			t.Errorf("b's p0 after VethPair: running %v, addresses %v", up, addrs)
		}
		if out := a.IP(t, "-o", "link", "show", "p0"); !strings.Contains(out, "02:77:00:00:00:0a") || !strings.Contains(out, "state UP") {
			t.Errorf("a's p0 after VethPair: %s", out)
		}
	})
	for _, n := range names {
		if _, err := os.Stat("/run/netns/" + n); err == nil {
			t.Errorf("namespace %s left behind after cleanup", n)
		}
	}
}

func TestStart(t *testing.T) {
	started, returned := make(chan struct{}), make(chan struct{})
	stop := Start(t, func(ctx context.Context) error {
		close(started)
		<-ctx.Done()
		close(returned)
		return nil
	})
	<-started
	select {
	case <-returned:
		t.Fatal("run returned before stop")
	case <-time.After(20 * time.Millisecond):
	}
	stop()
	select {
	case <-returned:
	default:
		t.Fatal("stop returned before run did")
	}
	stop() // idempotent; the cleanup calls it a third time
}

// TestReadPcap reads a capture written here: two records, the second
// one empty.
func TestReadPcap(t *testing.T) {
	le := func(b []byte, v ...uint32) []byte {
		for _, x := range v {
			b = append(b, byte(x), byte(x>>8), byte(x>>16), byte(x>>24))
		}
		return b
	}
	file := le(nil, 0xa1b2c3d4, 0x00040002, 0, 0, 65535, 1)
	file = le(file, 1700000000, 42, 3, 3)
	file = append(file, 1, 2, 3)
	file = le(file, 1700000001, 999999, 0, 60)
	path := filepath.Join(t.TempDir(), "x.pcap")
	if err := os.WriteFile(path, file, 0o644); err != nil {
		t.Fatal(err)
	}
	recs := ReadPcap(t, path)
	if len(recs) != 2 || !bytes.Equal(recs[0].Data, []byte{1, 2, 3}) || len(recs[1].Data) != 0 {
		t.Fatalf("records %+v", recs)
	}
	if recs[0].TS() != "1700000000.000042" || recs[1].TS() != "1700000001.999999" {
		t.Errorf("timestamps %s, %s", recs[0].TS(), recs[1].TS())
	}
	if want := time.Unix(1700000000, 42000); !recs[0].Time().Equal(want) {
		t.Errorf("Time() = %v, want %v", recs[0].Time(), want)
	}
}
