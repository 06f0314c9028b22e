package keepalived

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"github.com/floatgw/floatgw/internal/proc"
	"golang.org/x/sys/unix"
)

// InitdReloader reloads keepalived through OpenWrt's own service:
// `/etc/init.d/keepalived reload`. With alt_config_file set, the init
// script re-links /tmp/keepalived.conf and sends SIGHUP; procd keeps
// supervising keepalived. Safe for concurrent use.
type InitdReloader struct {
	// Script is the init script; empty means /etc/init.d/keepalived.
	Script string
	// Timeout bounds the call; zero means 10 s.
	Timeout time.Duration
}

// Reload runs the init script with the argument "reload".
func (r InitdReloader) Reload(ctx context.Context) error {
	script := r.Script
	if script == "" {
		script = "/etc/init.d/keepalived"
	}
	return runBounded(ctx, r.Timeout, script, "reload")
}

func runBounded(ctx context.Context, timeout time.Duration, argv ...string) error {
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	// On timeout, kill the script's whole process group and stop waiting
	// for pipes its children may still hold (proc's wait delay, 1 s).
	out, err := proc.Run(ctx, proc.Cmd{Argv: argv, Combined: true, MaxStdout: 4096, ProcessGroup: true})
	if err != nil {
		return fmt.Errorf("reload keepalived: %s %s: %w: %s", argv[0], argv[1], err, bytes.TrimSpace(out.Stdout))
	}
	return nil
}

// PIDFileReloader sends SIGHUP to the keepalived parent named in a pid
// file (keepalived -p). The lab uses it for keepalived instances that run
// without a service manager. Safe for concurrent use.
type PIDFileReloader struct {
	PIDFile string
}

// Reload signals the process; it fails when the pid file is missing or
// stale.
func (r PIDFileReloader) Reload(context.Context) error {
	pid, err := readPIDFile(r.PIDFile)
	if err != nil {
		return fmt.Errorf("reload keepalived: %w", err)
	}
	if err := unix.Kill(pid, unix.SIGHUP); err != nil {
		return fmt.Errorf("reload keepalived: SIGHUP to %d: %w", pid, err)
	}
	return nil
}
