// Package columns aligns tab-separated cells into space-padded columns for the CLI's tables.
//
// It is the part of text/tabwriter floatgw uses (minimum width 0, padding with spaces, no
// flags) and lays text out exactly as tabwriter.NewWriter(w, 0, 0, pad, ' ', 0) does, in
// about a tenth of the code on a mipsle router. It does not handle escapes, HTML, right
// alignment or tab padding, and it buffers everything until Flush.
package columns
