// Package uci reads and edits OpenWrt UCI configuration files (/etc/config/*)
// without losing a byte.
//
// The parser accepts exactly the grammar libuci accepts when it loads a file
// from a config directory in strict mode: `package`, `config TYPE ['NAME']`,
// `option NAME VALUE`, `list NAME VALUE` (and their one-letter forms), unquoted
// words, '…' and "…" quoting and adjacent quoted pieces (including the '\”
// form the uci tool writes), backslash continuation, multi-line values, ';'
// command separators, comments, blank lines and CRLF. It replays libuci's own
// algorithm, so its meaning of a file (sections, options, lists, merged
// duplicates, anonymous cfgNNHHHH names) is what `uci show` reports, and it
// rejects what uci rejects with the same reason, line and byte.
//
// A Package keeps the original bytes. Reading and writing an unchanged file
// gives identical bytes; an edit rewrites only the statements it touches, and
// new statements are written the way `uci commit` writes them. Every edit is
// checked by parsing the result again, so an edit that cannot be expressed
// safely in the existing layout fails instead of corrupting the file.
//
// Stores load and save packages: DirStore writes files atomically (temp file
// in the same directory, fsync, rename, file mode kept). A store backed by
// rpcd's `uci` ubus object lives outside this package (it needs a ubus client).
//
// What it does not do: it does not read or write libuci's delta (savedir)
// files, takes no uci locks, does not implement `uci` batch syntax or
// non-strict (-S) parsing, and never logs.
package uci
