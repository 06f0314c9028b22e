package columns

import (
	"bytes"
	"fmt"
	"math/rand"
	"strings"
	"testing"
	"text/tabwriter"

	"github.com/google/go-cmp/cmp"
)

// tabwriterOut is the oracle: what text/tabwriter makes of the same input.
func tabwriterOut(t *testing.T, in string, pad int) string {
	t.Helper()
	var b bytes.Buffer
	tw := tabwriter.NewWriter(&b, 0, 0, pad, ' ', 0)
	if _, err := tw.Write([]byte(in)); err != nil {
		t.Fatal(err)
	}
	if err := tw.Flush(); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func ours(t *testing.T, in string, pad int) string {
	t.Helper()
	var b bytes.Buffer
	w := New(&b, pad)
	// Write in uneven chunks: cells and lines may be split across writes.
	for len(in) > 0 {
		n := min(len(in), 3)
		if _, err := w.Write([]byte(in[:n])); err != nil {
			t.Fatal(err)
		}
		in = in[n:]
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestLikeTabwriter(t *testing.T) {
	tests := map[string]string{
		"empty":            "",
		"one line":         "a\tbb\tc\n",
		"no final newline": "a\tbb\nccc\td",
		"status":           "node\tr1 (main)\tMASTER\npriority\t150\n\thealth check ok\nkeepalived\trunning\n",
		"header with tab":  "  SOURCE\tMAC\tVER\t\n  192.168.77.2\t02:00:00:00:00:02\tv2\tthis host\n",
		"blocks":           "a\tb\tc\nlonger\tx\nz\tyyyyyy\tw\tv\n\nshort\t1\n",
		"empty cells":      "\t\t\nx\t\ty\n",
		"utf8":             "中文\tb\nab\t中\n",
		"trailing tabs":    "a\t\n\t\n",
	}
	for name, in := range tests {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(tabwriterOut(t, in, 2), ours(t, in, 2)); diff != "" {
				t.Errorf("input %q (-tabwriter +columns):\n%s", in, diff)
			}
		})
	}
}

// Random tables of tabs, newlines and cells agree with tabwriter byte for byte.
func TestLikeTabwriterRandom(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	words := []string{"", "a", "bb", "ccc", "dddddd", "中", "x y"}
	for i := 0; i < 3000; i++ {
		var b strings.Builder
		for l := r.Intn(6); l >= 0; l-- {
			for c := r.Intn(5); c > 0; c-- {
				b.WriteString(words[r.Intn(len(words))])
				b.WriteByte('\t')
			}
			b.WriteString(words[r.Intn(len(words))])
			if r.Intn(8) > 0 {
				b.WriteByte('\n')
			}
		}
		in, pad := b.String(), 1+r.Intn(3)
		if got, want := ours(t, in, pad), tabwriterOut(t, in, pad); got != want {
			t.Fatalf("input %q pad %d:\ncolumns   %q\ntabwriter %q", in, pad, got, want)
		}
	}
}

func ExampleWriter() {
	var b bytes.Buffer
	w := New(&b, 2)
	fmt.Fprintf(w, "TIMING\tMEASURED\tBUDGET\t\n")
	fmt.Fprintf(w, "handover\t612 ms\t3609 ms\tok\n")
	w.Flush()
	fmt.Print(strings.ReplaceAll(b.String(), " \n", "~\n"))
	// Output:
	// TIMING    MEASURED  BUDGET  ~
	// handover  612 ms    3609 ms  ok
}
