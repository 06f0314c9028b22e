package keepalived

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/floatgw/floatgw/internal/proc"
	"golang.org/x/sys/unix"
)

// DefaultJSONPath is where keepalived writes its JSON dump when neither
// TMPDIR nor json_file_location says otherwise.
const DefaultJSONPath = "/tmp/keepalived.json"

// Dumper asks a running keepalived for its JSON state dump and returns it
// parsed, once keepalived has finished writing the file.
//
// keepalived writes the dump from its VRRP child on SIGRTMIN+2 sent to the
// parent (`keepalived --signum=JSON`: 36 with glibc, 37 with musl, which is
// why the number is asked from the keepalived binary and not computed
// here). 2.2.7 truncates and rewrites the file in place; later versions
// write a temporary file and rename it. Dumper watches the directory with
// inotify for the close-after-write (or the rename) of the file, so it
// never parses a half-written dump.
//
// A Dumper is safe for concurrent use; dumps are serialised because they
// share one file.
type Dumper struct {
	// PIDFile holds the keepalived parent's pid (keepalived -p; OpenWrt and
	// Debian: /var/run/keepalived.pid or /run/keepalived.pid).
	PIDFile string
	// Path is the JSON file; empty means DefaultJSONPath. It must match
	// keepalived's TMPDIR (or json_file_location).
	Path string
	// Keepalived is the keepalived binary used for `--signum=JSON`; empty
	// means "keepalived" from PATH. Ignored when Signal is set.
	Keepalived string
	// Signal overrides the signal number; zero asks the binary once.
	Signal syscall.Signal

	mu  sync.Mutex
	sig syscall.Signal
}

// Dump triggers a dump and waits (bounded by ctx) for the complete file.
func (d *Dumper) Dump(ctx context.Context) ([]InstanceState, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	sig, err := d.signal(ctx)
	if err != nil {
		return nil, err
	}
	pid, err := readPIDFile(d.PIDFile)
	if err != nil {
		return nil, fmt.Errorf("keepalived json dump: %w", err)
	}
	path := d.Path
	if path == "" {
		path = DefaultJSONPath
	}
	w, err := watchFile(path)
	if err != nil {
		return nil, fmt.Errorf("keepalived json dump: %w", err)
	}
	defer w.Close()
	if err := unix.Kill(pid, sig); err != nil {
		return nil, fmt.Errorf("keepalived json dump: signal %d to pid %d: %w", sig, pid, err)
	}
	var lastErr error
	for {
		if err := w.wait(ctx); err != nil {
			if lastErr != nil {
				return nil, fmt.Errorf("keepalived json dump %s: %w (last parse: %v)", path, err, lastErr)
			}
			return nil, fmt.Errorf("keepalived json dump %s: no complete file: %w", path, err)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			lastErr = err
			continue
		}
		st, err := ParseJSONDump(data)
		if err != nil {
			lastErr = err // another writer raced us; wait for the next close
			continue
		}
		return st, nil
	}
}

func (d *Dumper) signal(ctx context.Context) (syscall.Signal, error) {
	if d.Signal != 0 {
		return d.Signal, nil
	}
	if d.sig != 0 {
		return d.sig, nil
	}
	bin := d.Keepalived
	if bin == "" {
		bin = "keepalived"
	}
	res, err := proc.Run(ctx, proc.Cmd{Argv: []string{bin, "--signum=JSON"}, MaxStdout: 64, MaxStderr: -1})
	if err != nil {
		return 0, fmt.Errorf("ask %s --signum=JSON: %w", bin, err)
	}
	out := res.Stdout
	n, err := strconv.Atoi(strings.TrimSpace(string(out)))
	if err != nil || n < 1 || n > 64 {
		return 0, fmt.Errorf("ask %s --signum=JSON: unexpected answer %q", bin, bytes.TrimSpace(out))
	}
	d.sig = syscall.Signal(n)
	return d.sig, nil
}

// readPIDFile reads a pid file and checks that the process exists.
func readPIDFile(path string) (int, error) {
	if path == "" {
		return 0, errors.New("no pid file configured")
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, fmt.Errorf("read pid file: %w", err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid < 2 {
		return 0, fmt.Errorf("pid file %s: not a pid: %q", path, bytes.TrimSpace(b))
	}
	if err := unix.Kill(pid, 0); err != nil {
		return 0, fmt.Errorf("pid file %s: process %d: %w", path, pid, err)
	}
	return pid, nil
}

// fileWatch reports close-after-write and rename-into-place of one file.
type fileWatch struct {
	f    *os.File
	name string
}

func watchFile(path string) (*fileWatch, error) {
	fd, err := unix.InotifyInit1(unix.IN_NONBLOCK | unix.IN_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("inotify: %w", err)
	}
	if _, err := unix.InotifyAddWatch(fd, filepath.Dir(path), unix.IN_CLOSE_WRITE|unix.IN_MOVED_TO); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("inotify watch %s: %w", filepath.Dir(path), err)
	}
	return &fileWatch{f: os.NewFile(uintptr(fd), "inotify"), name: filepath.Base(path)}, nil
}

func (w *fileWatch) Close() error { return w.f.Close() }

// wait returns when the watched file was closed after writing or renamed
// into place, or when ctx ends.
func (w *fileWatch) wait(ctx context.Context) error {
	stop := context.AfterFunc(ctx, func() { _ = w.f.SetReadDeadline(time.Unix(1, 0)) })
	defer stop()
	buf := make([]byte, 4096)
	for {
		n, err := w.f.Read(buf)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return err
		}
		for off := 0; off+unix.SizeofInotifyEvent <= n; {
			// struct inotify_event { s32 wd; u32 mask, cookie, len; char name[]; }
			nameLen := int(binary.NativeEndian.Uint32(buf[off+12 : off+16]))
			end := off + unix.SizeofInotifyEvent + nameLen
			if end > n {
				break
			}
			name := string(bytes.TrimRight(buf[off+unix.SizeofInotifyEvent:end], "\x00"))
			off = end
			if name == w.name {
				return nil
			}
		}
	}
}
