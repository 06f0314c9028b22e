// Package vectors loads the recorded ubusd transcripts in
// ../shared/ubus-vectors for the tests of package ubus and ubus/ubustest.
// It is test support only and does nothing else.
package vectors

import (
	"bufio"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"testing"
)

// File is one transcript.
type File struct {
	Name   string // file name without .jsonl
	Header Header
	Msgs   []Msg
}

// Header is the first line of a transcript.
type Header struct {
	Scenario string `json:"scenario"`
	Commands []struct {
		Who  string `json:"who"`
		Cmd  string `json:"cmd"`
		Mode string `json:"mode"`
	} `json:"commands"`
	Clients       []string `json:"clients"`
	ClientResults []struct {
		Who    string `json:"who"`
		RC     int    `json:"rc"`
		Stdout string `json:"stdout"`
		Stderr string `json:"stderr"`
	} `json:"client_results"`
}

// Msg is one recorded message.
type Msg struct {
	Dir      string          `json:"dir"`
	Who      string          `json:"who"`
	Hex      string          `json:"hex"`
	Type     string          `json:"type"`
	Seq      int             `json:"seq"`
	Peer     string          `json:"peer"`
	Decoded  json.RawMessage `json:"decoded"`
	FdPassed bool            `json:"fd_passed"`

	Index      int    // position in the file, from 0
	Bytes      []byte // decoded Hex
	Conn       int    // connection number from Who
	ClientID   uint32 // client id from Who
	FromClient bool   // Dir == "client->ubusd"
}

var whoRE = regexp.MustCompile(`\[conn (\d+), client id ([0-9a-f]{8})\]`)

// Dir returns the transcript directory, skipping the test loudly when the
// shared fixtures are not beside the repository.
func Dir(tb testing.TB) string {
	tb.Helper()
	dir, err := Find()
	if err != nil {
		tb.Skipf("!!! SKIPPING: %v (clone shared/ beside the repo)", err)
	}
	return dir
}

// Find locates the transcript directory without a testing.TB.
func Find() (string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for d := wd; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			dir := filepath.Join(d, "..", "shared", "ubus-vectors")
			if _, err := os.Stat(dir); err != nil {
				return "", fmt.Errorf("ubus vectors not found at %s: %v", dir, err)
			}
			return dir, nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("no go.mod above %s", wd)
		}
	}
}

// Names lists the transcript names in the directory.
func Names(tb testing.TB) []string {
	dir := Dir(tb)
	m, err := filepath.Glob(filepath.Join(dir, "*.jsonl"))
	if err != nil || len(m) == 0 {
		tb.Fatalf("no transcripts in %s: %v", dir, err)
	}
	var out []string
	for _, p := range m {
		b := filepath.Base(p)
		out = append(out, b[:len(b)-len(".jsonl")])
	}
	sort.Strings(out)
	return out
}

// Load reads one transcript by name.
func Load(tb testing.TB, name string) *File {
	tb.Helper()
	f, err := parse(filepath.Join(Dir(tb), name+".jsonl"))
	if err != nil {
		tb.Fatal(err)
	}
	f.Name = name
	return f
}

func parse(path string) (*File, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	sc := bufio.NewScanner(fh)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	f := &File{}
	line := 0
	for sc.Scan() {
		line++
		if line == 1 {
			if err := json.Unmarshal(sc.Bytes(), &f.Header); err != nil {
				return nil, fmt.Errorf("%s:1: %v", path, err)
			}
			continue
		}
		var m Msg
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			return nil, fmt.Errorf("%s:%d: %v", path, line, err)
		}
		if m.Bytes, err = hex.DecodeString(m.Hex); err != nil {
			return nil, fmt.Errorf("%s:%d: %v", path, line, err)
		}
		sm := whoRE.FindStringSubmatch(m.Who)
		if sm == nil {
			return nil, fmt.Errorf("%s:%d: no connection in %q", path, line, m.Who)
		}
		m.Conn, _ = strconv.Atoi(sm[1])
		id, _ := strconv.ParseUint(sm[2], 16, 32)
		m.ClientID = uint32(id)
		m.FromClient = m.Dir == "client->ubusd"
		m.Index = len(f.Msgs)
		f.Msgs = append(f.Msgs, m)
	}
	return f, sc.Err()
}

// Conn returns the messages of one connection, in order.
func (f *File) Conn(n int) []Msg {
	var out []Msg
	for _, m := range f.Msgs {
		if m.Conn == n {
			out = append(out, m)
		}
	}
	return out
}

// Conns returns the connection numbers in order of first appearance.
func (f *File) Conns() []int {
	seen := map[int]bool{}
	var out []int
	for _, m := range f.Msgs {
		if !seen[m.Conn] {
			seen[m.Conn] = true
			out = append(out, m.Conn)
		}
	}
	return out
}
