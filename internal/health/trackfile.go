package health

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
)

// WriteTrackFile atomically replaces path with value as a decimal
// integer and a newline: temp file in the same directory, fsync,
// rename, fsync of the directory. keepalived's track_file watches the
// directory with inotify and sees exactly one IN_MOVED_TO, never a
// half-written file. The directory must exist.
func WriteTrackFile(path string, value int) error {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp*")
	if err != nil {
		return fmt.Errorf("write track file %s: %w", path, err)
	}
	tmp := f.Name()
	ok := false
	defer func() {
		if !ok {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if _, err := f.WriteString(strconv.Itoa(value) + "\n"); err != nil {
		return fmt.Errorf("write track file %s: %w", path, err)
	}
	if err := f.Chmod(0o644); err != nil {
		return fmt.Errorf("write track file %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("write track file %s: sync: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write track file %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("write track file %s: %w", path, err)
	}
	ok = true
	if d, err := os.Open(dir); err == nil {
		// Best effort: the rename is already visible; this only makes it
		// durable, and tmpfs (/var/run) does not need it.
		d.Sync()
		d.Close()
	}
	return nil
}

// ReadTrackFile returns the integer in a track file. keepalived reads
// the leading integer and ignores the rest; so does this.
func ReadTrackFile(path string) (int, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, fmt.Errorf("read track file: %w", err)
	}
	b = bytes.TrimSpace(b)
	end := 0
	for end < len(b) && (b[end] >= '0' && b[end] <= '9' || end == 0 && (b[0] == '-' || b[0] == '+')) {
		end++
	}
	v, err := strconv.Atoi(string(b[:end]))
	if err != nil {
		return 0, fmt.Errorf("read track file %s: no integer in %q", path, truncate(b, 32))
	}
	return v, nil
}

func truncate(b []byte, n int) string {
	if len(b) > n {
		return string(b[:n]) + "…"
	}
	return string(b)
}
