package testenv

import (
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// NeedNetns skips the test, loudly, unless it can build network
// namespaces: it must run as root and iproute2's `ip netns` must work.
// Call it first in every test that uses NewNetns.
func NeedNetns(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("SKIPPED (needs root): network-namespace test not run; run the tests as root")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skip("SKIPPED (needs iproute2): `ip` not found, network-namespace test not run")
	}
	if out, err := exec.Command("ip", "netns", "list").CombinedOutput(); err != nil {
		t.Skipf("SKIPPED (`ip netns` unavailable: %v %s): network-namespace test not run", err, out)
	}
}

// Run runs the command name with args and returns its combined output;
// a failure to start or a non-zero exit fails the test with the output.
func Run(t testing.TB, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// nsSeq makes namespace names unique within the test process, also for
// repeated (-count) and parallel tests using the same tag.
var nsSeq atomic.Int64

// Netns is a named network namespace (ip netns add) created by NewNetns
// and deleted in the test's cleanup. Its methods may be called from
// several goroutines at once.
type Netns struct {
	// Name is the namespace's name under /run/netns, for
	// `ip -n Name ...`, `ip netns exec Name ...` and `netns Name`.
	Name string
	f    *os.File
}

// NewNetns creates a fresh namespace named "fgwt-<pkg>-<pid>-<tag><n>",
// pkg naming the calling package (keep it short), tag the role in the
// test and n a per-process sequence number, so parallel test binaries
// and tests never clash. The namespace holds only a loopback device,
// still down. It and the open handle are removed in t.Cleanup.
func NewNetns(t testing.TB, pkg, tag string) *Netns {
	t.Helper()
	name := fmt.Sprintf("fgwt-%s-%d-%s%d", pkg, os.Getpid(), tag, nsSeq.Add(1))
	Run(t, "ip", "netns", "add", name)
	t.Cleanup(func() { _ = exec.Command("ip", "netns", "del", name).Run() })
	f, err := os.Open("/run/netns/" + name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return &Netns{Name: name, f: f}
}

// FD returns a file descriptor referring to the namespace (for
// netlink.Config.NetNS and the like); it stays valid until the test's
// cleanup.
func (n *Netns) FD() int { return int(n.f.Fd()) }

// IP runs `ip -n <Name> args...`, failing the test on error, and returns
// the output.
func (n *Netns) IP(t testing.TB, args ...string) string {
	t.Helper()
	return Run(t, "ip", append([]string{"-n", n.Name}, args...)...)
}

// Command returns an unstarted `ip netns exec <Name> name args...`: the
// process runs entirely inside the namespace.
func (n *Netns) Command(name string, args ...string) *exec.Cmd {
	return exec.Command("ip", append([]string{"netns", "exec", n.Name, name}, args...)...)
}

// Veth creates a veth pair: device dev in n and its peer peerDev in
// peer (in n too when peer is nil or n). Both ends stay down, without
// addresses; set them with IP.
func (n *Netns) Veth(t testing.TB, dev string, peer *Netns, peerDev string) {
	t.Helper()
	args := []string{"link", "add", dev, "type", "veth", "peer", "name", peerDev}
	if peer != nil && peer != n {
		args = append(args, "netns", peer.Name)
	}
	n.IP(t, args...)
}

// Do runs fn on an OS thread switched into the namespace and waits for
// it, so sockets fn creates live in the namespace (goroutines fn starts
// do not run there, but keep the sockets they were given). The thread
// is locked (runtime.LockOSThread) for the call and switched back to
// its original namespace afterwards; if that fails, or fn does not
// return normally, the thread is discarded with its goroutine and the
// test fails. fn must not call t.FailNow or t.Fatal.
func (n *Netns) Do(t testing.TB, fn func()) {
	t.Helper()
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		orig, err := os.Open("/proc/thread-self/ns/net")
		if err != nil {
			runtime.UnlockOSThread()
			errc <- err
			return
		}
		defer orig.Close()
		if err := unix.Setns(n.FD(), unix.CLONE_NEWNET); err != nil {
			runtime.UnlockOSThread()
			errc <- fmt.Errorf("setns %s: %w", n.Name, err)
			return
		}
		returned := false
		defer func() {
			if !returned { // runtime.Goexit inside fn; the locked thread dies with us
				errc <- fmt.Errorf("function run in %s did not return", n.Name)
			}
		}()
		fn()
		returned = true
		if err := unix.Setns(int(orig.Fd()), unix.CLONE_NEWNET); err != nil {
			errc <- fmt.Errorf("restore netns: %w", err) // thread stays locked and dies with the goroutine
			return
		}
		runtime.UnlockOSThread()
		errc <- nil
	}()
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
}

// WaitCarrier waits up to 5 s until dev in the namespace has carrier and
// is operationally up ("state UP"), failing the test otherwise. A veth's
// queue is only activated (by the kernel's linkwatch, asynchronously)
// after both ends are up, and frames sent before that are dropped.
func (n *Netns) WaitCarrier(t testing.TB, dev string) {
	t.Helper()
	for end := time.Now().Add(5 * time.Second); time.Now().Before(end); time.Sleep(10 * time.Millisecond) {
		out, err := exec.Command("ip", "-n", n.Name, "-o", "link", "show", "dev", dev).CombinedOutput()
		if err == nil && strings.Contains(string(out), "state UP") {
			return
		}
	}
	t.Fatalf("%s in %s not operationally up after 5 s", dev, n.Name)
}

// VethEnd is one end of a veth pair built by VethPair: device Dev in
// namespace NS, with MAC address MAC (kernel-chosen when empty) and the
// addresses Addrs ("192.168.77.2/24", added in order).
type VethEnd struct {
	NS    *Netns
	Dev   string
	MAC   string
	Addrs []string
}

// VethPair joins two namespaces with a veth pair configured as a and b
// describe, brings both ends up and waits for carrier on both
// (WaitCarrier), so frames sent afterwards are not dropped.
func VethPair(t testing.TB, a, b VethEnd) {
	t.Helper()
	a.NS.Veth(t, a.Dev, b.NS, b.Dev)
	for _, e := range []VethEnd{a, b} {
		if e.MAC != "" {
			e.NS.IP(t, "link", "set", e.Dev, "address", e.MAC)
		}
	}
	for _, e := range []VethEnd{a, b} {
		for _, p := range e.Addrs {
			e.NS.IP(t, "addr", "add", p, "dev", e.Dev)
		}
	}
	for _, e := range []VethEnd{a, b} {
		e.NS.IP(t, "link", "set", e.Dev, "up")
	}
	for _, e := range []VethEnd{a, b} {
		e.NS.WaitCarrier(t, e.Dev)
	}
}
