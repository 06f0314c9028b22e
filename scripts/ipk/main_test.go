package main

import (
	"archive/tar"
	"bytes"
	"sort"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestDepends(t *testing.T) {
	tests := []struct {
		in      string
		want    []string
		wantErr bool
	}{
		{in: "$(GO_ARCH_DEPENDS) +keepalived +rpcd", want: []string{"libc", "keepalived", "rpcd"}},
		{in: "+luci-base +floatgw", want: []string{"libc", "luci-base", "floatgw"}},
		{in: "@TARGET_x86 +libc foo", want: []string{"libc", "foo"}},
		{in: "", want: []string{"libc"}},
		{in: "+PACKAGE_x:foo", wantErr: true},
	}
	for _, tt := range tests {
		got, err := depends(tt.in)
		if (err != nil) != tt.wantErr {
			t.Errorf("depends(%q) error %v, want error %v", tt.in, err, tt.wantErr)
			continue
		}
		if diff := cmp.Diff(tt.want, got); !tt.wantErr && diff != "" {
			t.Errorf("depends(%q) (-want +got):\n%s", tt.in, diff)
		}
	}
}

func TestControlText(t *testing.T) {
	c := Control{
		Package: "floatgw", Version: "0.1.0-1", Depends: []string{"libc", "keepalived"},
		License: "Apache-2.0", Section: "net", SourceDateEpoch: 5, Architecture: "x86_64",
		InstalledSize: 42, Description: "  First line.\n  Second line.\n",
	}
	want := "Package: floatgw\nVersion: 0.1.0-1\nDepends: libc, keepalived\nLicense: Apache-2.0\n" +
		"Section: net\nSourceDateEpoch: 5\nArchitecture: x86_64\nInstalled-Size: 42\n" +
		"Description:  First line.\n Second line.\n"
	if diff := cmp.Diff(want, c.Text()); diff != "" {
		t.Errorf("control (-want +got):\n%s", diff)
	}
}

func TestTreeOrder(t *testing.T) {
	// GNU tar --sort=name: each directory's entries by name, a directory
	// right before its contents ("etc/config/" before "etc/config-x").
	names := []string{"usr/sbin/floatgw", "etc/config-x", "etc/config/floatgw", "etc", "", "etc/config", "usr", "usr/sbin"}
	sort.Slice(names, func(i, j int) bool { return treeLess(names[i], names[j]) })
	want := []string{"", "etc", "etc/config", "etc/config/floatgw", "etc/config-x", "usr", "usr/sbin", "usr/sbin/floatgw"}
	if diff := cmp.Diff(want, names); diff != "" {
		t.Errorf("order (-want +got):\n%s", diff)
	}
}

func TestTarTree(t *testing.T) {
	mtime := time.Unix(1000, 0)
	b, err := tarTree([]File{
		{Path: "/usr/sbin/floatgw", Mode: 0o755, Data: []byte("bin")},
		{Path: "/etc/config/floatgw", Mode: 0o600, Data: []byte("conf")},
	}, mtime)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(bytes.NewReader(b))
	var got []string
	for {
		h, err := tr.Next()
		if err != nil {
			break
		}
		if h.Uid != 0 || h.Gid != 0 || !h.ModTime.Equal(mtime) {
			t.Errorf("%s: uid %d gid %d mtime %v", h.Name, h.Uid, h.Gid, h.ModTime)
		}
		got = append(got, h.Name+" "+string(h.Typeflag)+" "+modeString(h.Mode))
	}
	want := []string{
		"./ 5 755", "./etc/ 5 755", "./etc/config/ 5 755", "./etc/config/floatgw 0 600",
		"./usr/ 5 755", "./usr/sbin/ 5 755", "./usr/sbin/floatgw 0 755",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("entries (-want +got):\n%s", diff)
	}
	for _, bad := range [][]File{
		{{Path: "/a", Data: nil}, {Path: "/a", Data: nil}},
		{{Path: "/a"}, {Path: "/a/b"}},
		{{Path: "../x"}},
		{{Path: "/"}},
	} {
		if _, err := tarTree(bad, mtime); err == nil {
			t.Errorf("tarTree(%v) accepted", bad)
		}
	}
}

func modeString(m int64) string {
	const digits = "01234567"
	return string([]byte{digits[m>>6&7], digits[m>>3&7], digits[m&7]})
}

func TestFeedMakefileGet(t *testing.T) {
	m := &feedMakefile{path: "Makefile", vars: map[string]string{
		"PKG_VERSION": "0.1.0", "PKG_RELEASE": "1", "PKG_PO_VERSION": "$(PKG_VERSION)-r$(PKG_RELEASE)", "EMPTY": "",
	}}
	if got, err := m.get("PKG_PO_VERSION"); err != nil || got != "0.1.0-r1" {
		t.Errorf("get = %q, %v", got, err)
	}
	for _, name := range []string{"EMPTY", "MISSING"} {
		if _, err := m.get(name); err == nil {
			t.Errorf("get(%s) succeeded", name)
		}
	}
}
