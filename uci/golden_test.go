package uci

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/floatgw/floatgw/internal/testenv"
)

// samplesDir locates ../shared/uci-samples beside the repository root.
func samplesDir(t testing.TB) string {
	t.Helper()
	return testenv.SharedDir(t, "uci-samples")
}

type manifestRow struct {
	file, name, category, showExit, canonical, stderr string
}

func readManifest(t *testing.T, dir string) []manifestRow {
	f, err := os.Open(filepath.Join(dir, "MANIFEST.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var rows []manifestRow
	sc := bufio.NewScanner(f)
	first := true
	for sc.Scan() {
		if first {
			first = false
			continue
		}
		c := strings.Split(sc.Text(), "\t")
		if len(c) < 7 {
			t.Fatalf("bad manifest line %q", sc.Text())
		}
		rows = append(rows, manifestRow{c[0], c[1], c[2], c[3], c[5], c[6]})
	}
	return rows
}

func TestSamplesAgainstUCI(t *testing.T) {
	dir := samplesDir(t)
	rows := readManifest(t, dir)
	if len(rows) < 60 {
		t.Fatalf("only %d manifest rows", len(rows))
	}
	for _, r := range rows {
		r := r
		t.Run(r.file, func(t *testing.T) {
			src, err := os.ReadFile(filepath.Join(dir, r.file))
			if err != nil {
				t.Fatal(err)
			}
			p, err := Parse(r.name, src)
			if r.showExit != "0" {
				if err == nil {
					t.Fatalf("parsed a file uci rejects (%s)", r.stderr)
				}
				if got := uciError(err); got != r.stderr {
					t.Errorf("error\n got %s\nwant %s", got, r.stderr)
				}
				return
			}
			if err != nil {
				t.Fatalf("uci accepts this file, we said: %v", err)
			}
			for _, c := range []struct {
				ext string
				got string
			}{
				{".show", p.Show(false)},
				{".showX", p.Show(true)},
				{".export", string(p.Export(true, false))},
				{".exportn", string(p.Export(true, true))},
			} {
				want, err := os.ReadFile(filepath.Join(dir, r.file+c.ext))
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(string(want), c.got); diff != "" {
					t.Errorf("%s mismatch (-uci +ours):\n%s", c.ext, diff)
				}
			}
			if !bytes.Equal(p.Bytes(), src) {
				t.Errorf("round trip changed the bytes")
			}
			if r.canonical == "yes" && !bytes.Equal(Render(r.name, p.Sections()), src) {
				t.Errorf("canonical file does not render to itself:\n%s", Render(r.name, p.Sections()))
			}
		})
	}
}

// TestNastyAgainstUCI checks our own odd files in testdata/nasty against
// the real uci tool's output recorded beside them (testdata/mkoracle.sh).
func TestNastyAgainstUCI(t *testing.T) {
	ents, err := os.ReadDir("testdata/nasty")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range ents {
		if filepath.Ext(e.Name()) != "" {
			continue
		}
		n++
		name := e.Name()
		t.Run(name, func(t *testing.T) {
			base := filepath.Join("testdata/nasty", name)
			src, err := os.ReadFile(base)
			if err != nil {
				t.Fatal(err)
			}
			p, perr := Parse(name, src)
			if want, err := os.ReadFile(base + ".error"); err == nil {
				if perr == nil {
					t.Fatalf("accepted; uci says %s", want)
				}
				if got := uciError(perr) + "\n"; got != string(want) {
					t.Errorf("error\n got %s\nwant %s", got, want)
				}
				return
			}
			if perr != nil {
				t.Fatalf("uci accepts this file, we said: %v", perr)
			}
			for ext, got := range map[string]string{
				".show": p.Show(false), ".showX": p.Show(true),
				".export": string(p.Export(true, false)), ".exportn": string(p.Export(true, true)),
			} {
				want, err := os.ReadFile(base + ext)
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(string(want), got); diff != "" {
					t.Errorf("%s (-uci +ours):\n%s", ext, diff)
				}
			}
			if !bytes.Equal(p.Bytes(), src) {
				t.Error("round trip changed the bytes")
			}
		})
	}
	if n < 10 {
		t.Fatalf("only %d nasty cases", n)
	}
}
