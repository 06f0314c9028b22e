package keepalived

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Reloader makes a running keepalived re-read its configuration.
// Implementations: InitdReloader (OpenWrt), SystemdReloader (plain Linux,
// not in the openwrt build) and PIDFileReloader (the lab, tests).
type Reloader interface {
	Reload(ctx context.Context) error
}

// Applier installs a rendered configuration: it writes Path atomically,
// keeps one include line in IncludeFrom (plain Linux) and reloads
// keepalived only when one of them changed. A second Apply with the same
// content changes nothing and does not reload.
//
// On OpenWrt, Path is a persistent file (e.g. /etc/floatgw/keepalived.conf)
// that keepalived.globals.alt_config_file points at (written by
// internal/writers through rpcd's uci object); IncludeFrom stays empty.
//
// An Applier is not safe for concurrent use; the daemon applies from one
// task.
type Applier struct {
	// Path is the rendered file floatgw owns outright.
	Path string
	// IncludeFrom, when set, is the user's keepalived.conf that must carry
	// `include <Path>` (added once; the rest of the file is left as it
	// is). It is created when missing.
	IncludeFrom string
	// Reloader, when set, is called after a change.
	Reloader Reloader
}

// ApplyResult says what Apply did (or, for Plan, would do).
type ApplyResult struct {
	ConfigChanged bool // Path was (or would be) rewritten
	IncludeAdded  bool // the include line was (or would be) added
	Reloaded      bool // the Reloader ran successfully
}

// Changed reports whether anything on disk changed.
func (r ApplyResult) Changed() bool { return r.ConfigChanged || r.IncludeAdded }

// Plan reports what Apply(content) would change, without writing.
func (a *Applier) Plan(content []byte) (ApplyResult, error) {
	var res ApplyResult
	old, err := os.ReadFile(a.Path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		res.ConfigChanged = true
	case err != nil:
		return res, fmt.Errorf("plan keepalived config: %w", err)
	default:
		res.ConfigChanged = !bytes.Equal(old, content)
	}
	if a.IncludeFrom != "" {
		conf, err := os.ReadFile(a.IncludeFrom)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return res, fmt.Errorf("plan keepalived include: %w", err)
		}
		_, res.IncludeAdded = AddInclude(conf, a.Path)
	}
	return res, nil
}

// Apply writes content (the output of Render) and reloads keepalived if
// anything changed. When the reload fails, the files stay written and the
// error says so; the next Apply with the same content does not retry the
// reload, so the caller should retry Reloader.Reload itself.
func (a *Applier) Apply(ctx context.Context, content []byte) (ApplyResult, error) {
	var res ApplyResult
	changed, err := WriteFileAtomic(a.Path, content, 0o644)
	if err != nil {
		return res, fmt.Errorf("apply keepalived config: %w", err)
	}
	res.ConfigChanged = changed
	if a.IncludeFrom != "" {
		added, err := EnsureInclude(a.IncludeFrom, a.Path)
		if err != nil {
			return res, fmt.Errorf("apply keepalived include: %w", err)
		}
		res.IncludeAdded = added
	}
	if res.Changed() && a.Reloader != nil {
		if err := a.Reloader.Reload(ctx); err != nil {
			return res, fmt.Errorf("apply keepalived config: written, but reload failed: %w", err)
		}
		res.Reloaded = true
	}
	return res, nil
}

// WriteFileAtomic replaces path with data (temp file in the same
// directory, fsync, rename, fsync of the directory) unless it already holds
// exactly data with mode perm. It reports whether it wrote.
func WriteFileAtomic(path string, data []byte, perm fs.FileMode) (bool, error) {
	if old, err := os.ReadFile(path); err == nil && bytes.Equal(old, data) {
		if fi, err := os.Stat(path); err == nil && fi.Mode().Perm() == perm {
			return false, nil
		}
	}
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return false, fmt.Errorf("write %s: %w", path, err)
	}
	ok := false
	defer func() {
		if !ok {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if _, err := tmp.Write(data); err != nil {
		return false, fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Chmod(perm); err != nil {
		return false, fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		return false, fmt.Errorf("write %s: fsync: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return false, fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return false, fmt.Errorf("write %s: %w", path, err)
	}
	ok = true
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync() // best effort: the rename is durable on the next journal commit anyway
		d.Close()
	}
	return true, nil
}

// AddInclude returns conf with `include <path>` appended, or conf itself
// and false when an include of path is already there (ignoring leading
// blanks, a trailing comment and quotes). Nothing else in conf changes. It
// is pure and never aliases conf in a changed result.
func AddInclude(conf []byte, path string) ([]byte, bool) {
	for _, line := range strings.Split(string(conf), "\n") {
		if isIncludeOf(line, path) {
			return conf, false
		}
	}
	out := make([]byte, 0, len(conf)+len(path)+64)
	out = append(out, conf...)
	if len(out) > 0 && out[len(out)-1] != '\n' {
		out = append(out, '\n')
	}
	out = append(out, "# Added once by floatgw: its VRRP instances live in the included file.\n"...)
	out = append(out, "include "+path+"\n"...)
	return out, true
}

func isIncludeOf(line, path string) bool {
	if i := strings.IndexAny(line, "#!"); i >= 0 {
		line = line[:i]
	}
	f := strings.Fields(line)
	return len(f) == 2 && f[0] == "include" && strings.Trim(f[1], `"`) == path
}

// EnsureInclude makes confPath include path (see AddInclude), writing the
// file atomically with its existing mode (0644 when it is created). It
// reports whether it changed the file.
func EnsureInclude(confPath, path string) (bool, error) {
	// Write through a symlink, never replace it.
	if real, err := filepath.EvalSymlinks(confPath); err == nil {
		confPath = real
	}
	conf, err := os.ReadFile(confPath)
	perm := fs.FileMode(0o644)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return false, fmt.Errorf("read %s: %w", confPath, err)
	default:
		if fi, err := os.Stat(confPath); err == nil {
			perm = fi.Mode().Perm()
		}
	}
	out, added := AddInclude(conf, path)
	if !added {
		return false, nil
	}
	if _, err := WriteFileAtomic(confPath, out, perm); err != nil {
		return false, err
	}
	return true, nil
}
