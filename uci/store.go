package uci

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Store loads and saves whole packages.
type Store interface {
	// Load reads and parses a package. A package that does not exist is
	// returned empty (no sections), so that it can be created by saving it.
	Load(name string) (*Package, error)
	// Save writes the changes made to p since it was loaded. A package
	// without changes is not written. Save fails, writing nothing, if the
	// stored package changed since p was loaded.
	Save(p *Package) error
}

// DirStore is a Store over a config directory such as /etc/config. It writes
// a temp file in the same directory (a dotfile, which uci ignores), fsyncs
// it, gives it the mode of the file it replaces (0600 for a new file, like
// uci) and renames it over the old file, then fsyncs the directory. A crash at
// any point leaves either the old or the new file, never a mix.
//
// DirStore does not take libuci's file locks and does not see uncommitted
// uci deltas; on a live OpenWrt system prefer the rpcd store for packages
// other services read. Its methods are safe for concurrent use on different
// packages; concurrent saves of one package are detected (one fails).
type DirStore struct {
	Dir string

	// beforeRename, when set (tests), runs between writing the temp file
	// and renaming it.
	beforeRename func(tmp string)
}

// Load implements Store.
func (d *DirStore) Load(name string) (*Package, error) {
	if !validName(name, true) {
		return nil, fmt.Errorf("uci: invalid package name %q", name)
	}
	b, err := os.ReadFile(filepath.Join(d.Dir, name))
	if errors.Is(err, fs.ErrNotExist) {
		p, err := Parse(name, nil)
		if err != nil {
			return nil, err
		}
		return p, nil
	}
	if err != nil {
		return nil, fmt.Errorf("uci: load %s: %w", name, err)
	}
	return Parse(name, b)
}

// ErrConflict is returned (wrapped) by Save when the stored package changed
// since it was loaded.
var ErrConflict = errors.New("changed since it was loaded")

// Save implements Store.
func (d *DirStore) Save(p *Package) error {
	if !p.Changed() {
		return nil
	}
	path := filepath.Join(d.Dir, p.name)
	mode := fs.FileMode(0o600)
	cur, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if len(p.base) != 0 {
			return fmt.Errorf("uci: save %s: file was removed: %w", p.name, ErrConflict)
		}
	case err != nil:
		return fmt.Errorf("uci: save %s: %w", p.name, err)
	default:
		if !bytes.Equal(cur, p.base) {
			return fmt.Errorf("uci: save %s: %w", p.name, ErrConflict)
		}
		if st, err := os.Stat(path); err == nil {
			mode = st.Mode().Perm()
		}
	}
	if err := writeAtomic(path, p.src, mode, d.beforeRename); err != nil {
		return fmt.Errorf("uci: save %s: %w", p.name, err)
	}
	p.base = p.src
	return nil
}

// writeAtomic replaces path with data: temp file in the same directory,
// fsync, chmod, rename, fsync of the directory.
func writeAtomic(path string, data []byte, mode fs.FileMode, hook func(string)) (err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".floatgw-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			os.Remove(tmp)
		}
	}()
	if _, err = f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err = f.Chmod(mode); err != nil {
		f.Close()
		return err
	}
	if err = f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	if hook != nil {
		hook(tmp)
	}
	if err = os.Rename(tmp, path); err != nil {
		return err
	}
	if df, derr := os.Open(dir); derr == nil {
		// best effort: the rename is durable once the directory is synced
		df.Sync()
		df.Close()
	}
	return nil
}

// WriteFileAtomic writes a file floatgw owns outright (such as its rendered
// keepalived configuration) the same crash-safe way DirStore saves packages.
// An existing file keeps its mode; a new one gets mode.
func WriteFileAtomic(path string, data []byte, mode fs.FileMode) error {
	if st, err := os.Stat(path); err == nil {
		mode = st.Mode().Perm()
	}
	return writeAtomic(path, data, mode, nil)
}
