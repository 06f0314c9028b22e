package columns

import (
	"bytes"
	"io"
	"strings"
	"unicode/utf8"
)

// Writer collects lines of tab-terminated cells and writes them aligned on Flush. A cell is
// text terminated by a tab; the text after a line's last tab is not part of any column. A
// column's width is set by the cells of consecutive lines that all have that column (a column
// block), as in text/tabwriter. A Writer is not safe for concurrent use.
type Writer struct {
	w   io.Writer
	pad int
	buf bytes.Buffer
}

// New returns a Writer that pads every cell with at least pad spaces.
func New(w io.Writer, pad int) *Writer { return &Writer{w: w, pad: pad} }

// Write buffers p; it never fails.
func (t *Writer) Write(p []byte) (int, error) { return t.buf.Write(p) }

// Flush writes the buffered lines aligned and empties the buffer.
func (t *Writer) Flush() error {
	text := t.buf.String()
	t.buf.Reset()
	if text == "" {
		return nil
	}
	lines := strings.Split(text, "\n")
	cells := make([][]string, len(lines))
	for i, l := range lines {
		cells[i] = strings.Split(l, "\t")
	}
	// An unfinished last line's empty trailing cell does not exist yet (tabwriter drops it).
	if last := cells[len(cells)-1]; len(last) > 1 && last[len(last)-1] == "" {
		cells[len(cells)-1] = last[:len(last)-1]
	}
	// widths[i][c] is the padded width of terminated cell c on line i.
	widths := make([][]int, len(lines))
	for i := range cells {
		widths[i] = make([]int, len(cells[i])-1)
	}
	for c := 0; ; c++ {
		any := false
		for i := 0; i < len(cells); {
			if len(cells[i])-1 <= c {
				i++
				continue
			}
			any = true
			j, w := i, 0
			for ; j < len(cells) && len(cells[j])-1 > c; j++ {
				w = max(w, utf8.RuneCountInString(cells[j][c])+t.pad)
			}
			for ; i < j; i++ {
				widths[i][c] = w
			}
		}
		if !any {
			break
		}
	}
	var out bytes.Buffer
	for i, row := range cells {
		for c, cell := range row {
			out.WriteString(cell)
			if c < len(widths[i]) {
				out.WriteString(strings.Repeat(" ", widths[i][c]-utf8.RuneCountInString(cell)))
			}
		}
		if i < len(lines)-1 {
			out.WriteByte('\n')
		}
	}
	_, err := t.w.Write(out.Bytes())
	return err
}
