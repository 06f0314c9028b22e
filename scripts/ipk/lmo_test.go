package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// testdata/lmo/corner.lmo was written by LuCI's po2lmo from corner.po.
func TestCompileLMOMatchesPo2lmo(t *testing.T) {
	po, err := os.ReadFile(filepath.Join("testdata", "lmo", "corner.po"))
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile(filepath.Join("testdata", "lmo", "corner.lmo"))
	if err != nil {
		t.Fatal(err)
	}
	got, err := compileLMO(po)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("compileLMO differs from po2lmo:\n%s", cmp.Diff(want, got))
	}
}

func TestSfhHash(t *testing.T) {
	// Lengths 0-7 cover the main loop and each remainder case; the UTF-8
	// bytes (>= 0x80) exercise the signed-char reads of the remainder.
	for _, s := range []string{"", "a", "ab", "abc", "abcd", "状", "甲乙", "Status", "Virtual IP"} {
		h := sfh([]byte(s))
		if s == "" && h != 0 {
			t.Errorf("sfh(%q) = %#x, want 0", s, h)
		}
		if s != "" && h == 0 {
			t.Errorf("sfh(%q) = 0", s)
		}
	}
	if sfh([]byte("ab")) == sfh([]byte("ba")) {
		t.Error("sfh ignores byte order")
	}
}

func TestCompileLMOEmpty(t *testing.T) {
	for _, po := range []string{
		"",
		"msgid \"\"\nmsgstr \"\"\n\"Language: de\\n\"\n",
		"msgid \"Same\"\nmsgstr \"Same\"\n",
		"msgid \"Untranslated\"\nmsgstr \"\"\n",
	} {
		got, err := compileLMO([]byte(po))
		if err != nil || got != nil {
			t.Errorf("compileLMO(%q) = %x, %v; want no catalog", po, got, err)
		}
	}
	if _, err := compileLMO([]byte("msgid \"x\"\nmsgstr[12] \"y\"\n")); err == nil {
		t.Error("12 plural forms accepted")
	}
}
