package proc

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// ErrNotFound is wrapped by LookPath's error when no $PATH directory holds
// the program.
var ErrNotFound = errors.New("executable file not found in $PATH")

// LookPath finds a program the way Run does. A name with a slash is
// checked as is (relative to the working directory when not absolute).
// A bare name is searched in the directories of $PATH, in order; the
// first regular file with an execute bit wins. Relative $PATH entries,
// including the empty one, are skipped (see the package doc). The error
// names the program and wraps ErrNotFound, or, for a name with a slash,
// the reason it cannot be run ("stat /x: no such file or directory").
//
// LookPath is safe for concurrent use.
func LookPath(file string) (string, error) {
	if strings.Contains(file, "/") {
		if err := executable(file); err != nil {
			return "", err
		}
		return file, nil
	}
	if file != "" {
		for _, dir := range filepath.SplitList(os.Getenv("PATH")) {
			if !filepath.IsAbs(dir) {
				continue
			}
			p := filepath.Join(dir, file)
			if executable(p) == nil {
				return p, nil
			}
		}
	}
	return "", fmt.Errorf("%q: %w", file, ErrNotFound)
}

// executable reports why path is not a regular file with an execute bit.
func executable(path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("%s: not a regular file", path)
	}
	if fi.Mode().Perm()&0o111 == 0 {
		return &os.PathError{Op: "exec", Path: path, Err: os.ErrPermission}
	}
	return nil
}
