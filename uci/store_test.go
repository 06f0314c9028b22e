package uci

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

const storeSample = "# keep me\nconfig rule 'a'\n\toption name   \"x\"  # trailing\n\nconfig rule\n\toption name y\n"

func TestDirStoreRoundTrip(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "firewall")
	if err := os.WriteFile(path, []byte(storeSample), 0o640); err != nil {
		t.Fatal(err)
	}
	st := &DirStore{Dir: dir}
	p, err := st.Load("firewall")
	if err != nil {
		t.Fatal(err)
	}
	before, _ := os.Stat(path)
	// unchanged: nothing is written (same inode)
	if err := st.Save(p); err != nil {
		t.Fatal(err)
	}
	after, _ := os.Stat(path)
	if !os.SameFile(before, after) {
		t.Fatal("saving an unchanged package rewrote the file")
	}
	if err := p.Set("a", "target", "ACCEPT"); err != nil {
		t.Fatal(err)
	}
	if err := st.Save(p); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(path)
	want := "# keep me\nconfig rule 'a'\n\toption name   \"x\"  # trailing\n\toption target 'ACCEPT'\n\nconfig rule\n\toption name y\n"
	if string(got) != want {
		t.Fatalf("got %q\nwant %q", got, want)
	}
	fi, _ := os.Stat(path)
	if fi.Mode().Perm() != 0o640 {
		t.Errorf("mode %v, want 0640 kept", fi.Mode().Perm())
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 {
		t.Errorf("temp files left behind: %v", ents)
	}
	// a second save of the same package is a no-op
	if err := st.Save(p); err != nil {
		t.Fatal(err)
	}
}

func TestDirStoreConflict(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "dhcp")
	os.WriteFile(path, []byte(storeSample), 0o600)
	st := &DirStore{Dir: dir}
	p, err := st.Load("dhcp")
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(path, []byte(storeSample+"config other 'o'\n"), 0o600)
	if err := p.Set("a", "x", "1"); err != nil {
		t.Fatal(err)
	}
	if err := st.Save(p); !errors.Is(err, ErrConflict) {
		t.Fatalf("got %v, want ErrConflict", err)
	}
	got, _ := os.ReadFile(path)
	if !strings.HasSuffix(string(got), "config other 'o'\n") {
		t.Fatal("conflicting save overwrote the other writer's change")
	}
}

func TestDirStoreNewFile(t *testing.T) {
	dir := t.TempDir()
	st := &DirStore{Dir: dir}
	p, err := st.Load("floatgw")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.AddSection("floatgw", "main"); err != nil {
		t.Fatal(err)
	}
	if err := p.Set("main", "enabled", "1"); err != nil {
		t.Fatal(err)
	}
	if err := st.Save(p); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(filepath.Join(dir, "floatgw"))
	if string(got) != "\nconfig floatgw 'main'\n\toption enabled '1'\n\n" {
		t.Fatalf("got %q, want what uci commit writes", got)
	}
	fi, _ := os.Stat(filepath.Join(dir, "floatgw"))
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("new file mode %v, want 0600", fi.Mode().Perm())
	}
}

// TestInterruptedSave kills a child process between writing the temp file and
// renaming it, and checks the old file is intact.
func TestInterruptedSave(t *testing.T) {
	if dir := os.Getenv("FLOATGW_UCI_KILL_DIR"); dir != "" {
		st := &DirStore{Dir: dir, beforeRename: func(string) {
			syscall.Kill(os.Getpid(), syscall.SIGKILL)
		}}
		p, err := st.Load("network")
		if err != nil {
			os.Exit(3)
		}
		p.Set("a", "name", "changed")
		st.Save(p)
		os.Exit(4) // not reached
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "network")
	os.WriteFile(path, []byte(storeSample), 0o644)
	cmd := exec.Command(os.Args[0], "-test.run=^TestInterruptedSave$")
	cmd.Env = append(os.Environ(), "FLOATGW_UCI_KILL_DIR="+dir)
	err := cmd.Run()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ProcessState.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("child was not killed by SIGKILL: %v", err)
	}
	got, _ := os.ReadFile(path)
	if !bytes.Equal(got, []byte(storeSample)) {
		t.Fatalf("old file damaged: %q", got)
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 2 {
		t.Fatalf("expected the old file and one leftover temp file, got %v", ents)
	}
	var tmp string
	for _, e := range ents {
		if e.Name() != "network" {
			tmp = e.Name()
		}
	}
	if !strings.HasPrefix(tmp, ".network.") {
		t.Fatalf("leftover %q is not a dotfile (uci would try to load it)", tmp)
	}
	// the leftover holds the complete new contents (it was fsynced)
	b, _ := os.ReadFile(filepath.Join(dir, tmp))
	if !strings.Contains(string(b), "'changed'") {
		t.Fatalf("temp file incomplete: %q", b)
	}
	// and a later save still works
	st := &DirStore{Dir: dir}
	p, err := st.Load("network")
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Set("a", "name", "again"); err != nil {
		t.Fatal(err)
	}
	if err := st.Save(p); err != nil {
		t.Fatal(err)
	}
}
