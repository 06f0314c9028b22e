package proc

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLookPath(t *testing.T) {
	root := t.TempDir()
	mk := func(rel string, mode os.FileMode) string {
		p := filepath.Join(root, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("#!/bin/sh\n"), mode); err != nil {
			t.Fatal(err)
		}
		return p
	}
	empty := filepath.Join(root, "empty")
	if err := os.Mkdir(empty, 0o755); err != nil {
		t.Fatal(err)
	}
	noExec := mk("noexec/prog", 0o644)
	isDir := filepath.Join(root, "isdir", "prog")
	if err := os.MkdirAll(isDir, 0o755); err != nil {
		t.Fatal(err)
	}
	first := mk("first/prog", 0o755)
	ownerOnly := mk("owner/prog", 0o700)
	mk("second/prog", 0o755)
	absRel, err := filepath.Abs(filepath.Join("testdata", "bin"))
	if err != nil {
		t.Fatal(err)
	}
	join := func(dirs ...string) string { return strings.Join(dirs, string(os.PathListSeparator)) }
	dir := func(name string) string { return filepath.Join(root, name) }

	tests := []struct {
		name    string
		path    string // $PATH
		file    string
		want    string
		wantErr string // substring; "" means no error
		is      error
	}{
		{name: "first executable wins, earlier misses skipped",
			path: join(dir("missing"), empty, dir("noexec"), dir("isdir"), dir("first"), dir("second")),
			file: "prog", want: first},
		{name: "execute bit for the owner only is enough",
			path: join(dir("owner"), dir("first")), file: "prog", want: ownerOnly},
		{name: "only a file without execute bit and a directory",
			path: join(dir("noexec"), dir("isdir")), file: "prog",
			wantErr: `"prog": executable file not found in $PATH`, is: ErrNotFound},
		{name: "relative entry skipped",
			path: join(filepath.Join("testdata", "bin"), empty), file: "fgw-proc-rel",
			wantErr: `"fgw-proc-rel": executable file not found in $PATH`, is: ErrNotFound},
		{name: "empty entry (working directory) skipped",
			path: join("", empty), file: "proc_test.go",
			wantErr: "executable file not found", is: ErrNotFound},
		{name: "the same directory, absolute, is searched",
			path: join(empty, absRel), file: "fgw-proc-rel", want: filepath.Join(absRel, "fgw-proc-rel")},
		{name: "empty PATH", path: "", file: "sh",
			wantErr: `"sh": executable file not found in $PATH`, is: ErrNotFound},
		{name: "empty name", path: dir("first"), file: "",
			wantErr: `"": executable file not found in $PATH`, is: ErrNotFound},
		{name: "slash name used as is, PATH ignored", path: "", file: first, want: first},
		{name: "relative slash name", path: "", file: "testdata/bin/fgw-proc-rel", want: "testdata/bin/fgw-proc-rel"},
		{name: "slash name without execute bit", path: "", file: noExec,
			wantErr: "exec " + noExec + ": permission denied", is: os.ErrPermission},
		{name: "slash name is a directory", path: "", file: isDir,
			wantErr: isDir + ": not a regular file"},
		{name: "slash name missing", path: dir("first"), file: dir("missing/prog"),
			wantErr: "no such file or directory", is: os.ErrNotExist},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("PATH", tt.path)
			got, err := LookPath(tt.file)
			if tt.wantErr == "" {
				if err != nil || got != tt.want {
					t.Fatalf("LookPath(%q) = %q, %v; want %q", tt.file, got, err, tt.want)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || got != "" {
				t.Fatalf("LookPath(%q) = %q, %v; want error containing %q", tt.file, got, err, tt.wantErr)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("error %v is not %v", err, tt.is)
			}
		})
	}
}
