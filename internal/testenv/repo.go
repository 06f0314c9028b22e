package testenv

import (
	"os"
	"path/filepath"
	"testing"
)

// RepoRoot returns the repository root: the nearest directory at or
// above the working directory (a test's package directory) that holds
// go.mod. It fails the test when there is none. Safe for concurrent use.
func RepoRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found above the test directory")
		}
		dir = parent
	}
}

// SharedDir returns ../shared/<parts...> relative to the repository root
// (CI clones the shared fixtures beside the repository), for example
// SharedDir(t, "keepalived-samples", "pcap"). When that path does not
// exist the test is skipped with a loud message naming it. Safe for
// concurrent use.
func SharedDir(t testing.TB, parts ...string) string {
	t.Helper()
	dir := filepath.Join(append([]string{RepoRoot(t), "..", "shared"}, parts...)...)
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("SKIP (FIXTURES MISSING): %s not found (%v); clone shared/ beside the repository", dir, err)
	}
	return dir
}
