package main

import (
	"encoding/binary"
	"fmt"
	"os"
	"sync"

	"golang.org/x/sys/unix"
)

// Linux process events connector (include/uapi/linux/cn_proc.h,
// include/uapi/linux/connector.h). Every fork in the system is
// reported with parent and child pid/tgid; a new process has
// child_pid == child_tgid, a new thread does not.
const (
	cnIdxProc          = 1
	cnValProc          = 1
	procCnMcastListen  = 1
	procEventFork      = 0x00000001
	procEventExec      = 0x00000002
	procEventExit      = 0x80000000
	nlmsgHdrLen        = 16
	cnMsgLen           = 20
	procEventHeaderLen = 16 // what, cpu, timestamp_ns
)

// forkCounter counts the processes (not threads) created by a set of
// root processes and all their descendants, and their execs.
type forkCounter struct {
	fd int

	mu      sync.Mutex
	owner   map[uint32]string // tgid -> model it belongs to
	roots   map[uint32]bool   // the model processes themselves
	forks   map[string]int
	execs   map[string]int
	dropped bool // the kernel reported lost events (ENOBUFS)
	done    chan struct{}
}

func newForkCounter() (*forkCounter, error) {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, unix.NETLINK_CONNECTOR)
	if err != nil {
		return nil, fmt.Errorf("open netlink connector: %w", err)
	}
	if err := unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK, Groups: cnIdxProc, Pid: 0}); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("bind netlink connector: %w", err)
	}
	// A large receive buffer: a burst of thread creations must not drop
	// the fork we are counting.
	unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, 4<<20)
	msg := make([]byte, nlmsgHdrLen+cnMsgLen+4)
	binary.NativeEndian.PutUint32(msg[0:], uint32(len(msg)))
	binary.NativeEndian.PutUint16(msg[4:], unix.NLMSG_DONE)
	binary.NativeEndian.PutUint32(msg[12:], uint32(os.Getpid()))
	binary.NativeEndian.PutUint32(msg[16:], cnIdxProc)
	binary.NativeEndian.PutUint32(msg[20:], cnValProc)
	binary.NativeEndian.PutUint16(msg[32:], 4)
	binary.NativeEndian.PutUint32(msg[36:], procCnMcastListen)
	if err := unix.Sendto(fd, msg, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("subscribe to process events: %w", err)
	}
	c := &forkCounter{fd: fd, owner: map[uint32]string{}, roots: map[uint32]bool{}, forks: map[string]int{}, execs: map[string]int{}, done: make(chan struct{})}
	go c.read()
	return c, nil
}

// track makes pid the root of model's process tree.
func (c *forkCounter) track(pid int, model string) {
	c.mu.Lock()
	c.owner[uint32(pid)] = model
	c.roots[uint32(pid)] = true
	c.mu.Unlock()
}

func (c *forkCounter) counts(model string) (forks, execs int, lost bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.forks[model], c.execs[model], c.dropped
}

func (c *forkCounter) close() {
	unix.Close(c.fd)
	<-c.done
}

func (c *forkCounter) read() {
	defer close(c.done)
	buf := make([]byte, 1<<16)
	for {
		n, _, err := unix.Recvfrom(c.fd, buf, 0)
		if err != nil {
			if err == unix.ENOBUFS {
				c.mu.Lock()
				c.dropped = true
				c.mu.Unlock()
				continue
			}
			if err == unix.EINTR {
				continue
			}
			return // closed
		}
		for b := buf[:n]; len(b) >= nlmsgHdrLen; {
			l := int(binary.NativeEndian.Uint32(b[0:]))
			if l < nlmsgHdrLen || l > len(b) {
				break
			}
			c.event(b[nlmsgHdrLen:l])
			adv := (l + 3) &^ 3
			if adv > len(b) {
				break
			}
			b = b[adv:]
		}
	}
}

func (c *forkCounter) event(b []byte) {
	if len(b) < cnMsgLen+procEventHeaderLen+8 {
		return
	}
	ev := b[cnMsgLen:]
	what := binary.NativeEndian.Uint32(ev[0:])
	data := ev[procEventHeaderLen:]
	c.mu.Lock()
	defer c.mu.Unlock()
	switch what {
	case procEventFork:
		if len(data) < 16 {
			return
		}
		parentTgid := binary.NativeEndian.Uint32(data[4:])
		childPid := binary.NativeEndian.Uint32(data[8:])
		childTgid := binary.NativeEndian.Uint32(data[12:])
		model, ok := c.owner[parentTgid]
		if !ok || childPid != childTgid {
			return // not ours, or a thread
		}
		c.forks[model]++
		c.owner[childTgid] = model
	case procEventExit:
		pid := binary.NativeEndian.Uint32(data[0:])
		tgid := binary.NativeEndian.Uint32(data[4:])
		if pid == tgid {
			delete(c.owner, tgid) // the pid may be reused by a stranger
		}
	case procEventExec:
		tgid := binary.NativeEndian.Uint32(data[4:])
		if model, ok := c.owner[tgid]; ok && !c.roots[tgid] {
			c.execs[model]++ // the harness's own exec of a model is not the model's
		}
	}
}
