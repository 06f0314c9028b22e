package api

// The contract between this method table and the LuCI app in luci-app/:
// rpc.declare calls, the rpcd ACL, the menu, the shared code table and the
// translation catalogues. The JavaScript is read as text (a small lexer for
// string literals and comments); nothing here needs a browser or LuCI.

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/floatgw/floatgw/internal/testenv"
	"github.com/google/go-cmp/cmp"
)

const aclGroup = "luci-app-floatgw"

func luciDir(t *testing.T) string {
	t.Helper()
	d := filepath.Join(testenv.RepoRoot(t), "luci-app")
	if _, err := os.Stat(d); err != nil {
		t.Fatalf("luci-app/ missing: %v", err)
	}
	return d
}

// jsFiles returns every JavaScript file of the app, relative to luci-app/.
func jsFiles(t *testing.T) map[string]string {
	t.Helper()
	root := luciDir(t)
	out := map[string]string{}
	err := filepath.Walk(filepath.Join(root, "htdocs"), func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		if !info.IsDir() && strings.HasSuffix(p, ".js") {
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(root, p)
			out[filepath.ToSlash(rel)] = string(b)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(out) < 5 {
		t.Fatalf("found only %d JS files", len(out))
	}
	return out
}

const viewDir = "htdocs/luci-static/resources/view/floatgw/"
const sharedJS = "htdocs/luci-static/resources/floatgw.js"

// jsString decodes the JS string literal starting at s[0] (a quote) and
// returns its value and length in s.
func jsString(s string) (string, int, bool) {
	q := s[0]
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		c := s[i]
		switch {
		case c == q:
			return b.String(), i + 1, true
		case c == '\n' && q != '`':
			return "", 0, false
		case c == '\\' && i+1 < len(s):
			i++
			switch s[i] {
			case 'n':
				b.WriteByte('\n')
			case 't':
				b.WriteByte('\t')
			case 'u':
				if i+4 < len(s) {
					r, err := strconv.ParseUint(s[i+1:i+5], 16, 32)
					if err == nil {
						b.WriteRune(rune(r))
						i += 4
						continue
					}
				}
				return "", 0, false
			case '\n':
			default:
				b.WriteByte(s[i])
			}
		default:
			b.WriteByte(c)
		}
	}
	return "", 0, false
}

// lexStrings finds the msgids of `_('…')` calls, skipping comments and
// other string literals. Regular-expression literals in the app contain no
// quotes (TestJSConventions keeps it so), which is what makes this lexer
// enough.
func lexStrings(t *testing.T, name, src string) []string {
	t.Helper()
	var ids []string
	for i := 0; i < len(src); {
		switch {
		case strings.HasPrefix(src[i:], "//"):
			j := strings.IndexByte(src[i:], '\n')
			if j < 0 {
				return ids
			}
			i += j
		case strings.HasPrefix(src[i:], "/*"):
			j := strings.Index(src[i+2:], "*/")
			if j < 0 {
				t.Errorf("%s: unterminated comment", name)
				return ids
			}
			i += j + 4
		case src[i] == '\'' || src[i] == '"' || src[i] == '`':
			_, n, ok := jsString(src[i:])
			if !ok {
				t.Errorf("%s: bad string literal at offset %d", name, i)
				return ids
			}
			i += n
		case strings.HasPrefix(src[i:], "_(") && (i == 0 || !isIdent(src[i-1])):
			j := i + 2
			for j < len(src) && (src[j] == ' ' || src[j] == '\t' || src[j] == '\n') {
				j++
			}
			if j >= len(src) || (src[j] != '\'' && src[j] != '"') {
				t.Errorf("%s: _() at offset %d is not called with a string literal", name, i)
				i += 2
				continue
			}
			s, n, ok := jsString(src[j:])
			if !ok {
				t.Errorf("%s: bad string literal at offset %d", name, j)
				return ids
			}
			k := j + n
			for k < len(src) && (src[k] == ' ' || src[k] == '\t') {
				k++
			}
			if k < len(src) && src[k] == '+' {
				t.Errorf("%s: _() argument at offset %d is a concatenation; only literals are extracted", name, j)
			}
			ids = append(ids, s)
			i = k
		default:
			i++
		}
	}
	return ids
}

func isIdent(c byte) bool {
	return c == '_' || c == '$' || c == '.' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// rpcDecl is one rpc.declare in a view with its @rpc annotation.
type rpcDecl struct {
	file, varName, object, method string
	params                        []string
	annotated                     map[string]ArgType
	annotatedOrder                []string
}

var (
	reDeclare  = regexp.MustCompile(`(?s)/\*\*\s*@rpc\s+(\w+)\.(\w+)((?:\s+\w+:\w+)*)\s*\*/\s*const\s+(\w+)\s*=\s*rpc\.declare\(\{(.*?)\}\);`)
	reObject   = regexp.MustCompile(`\bobject:\s*'([^']*)'`)
	reMethod   = regexp.MustCompile(`\bmethod:\s*'([^']*)'`)
	reParams   = regexp.MustCompile(`(?s)\bparams:\s*\[(.*?)\]`)
	reQuoted   = regexp.MustCompile(`'([^']*)'`)
	reAnyDecl  = regexp.MustCompile(`rpc\.declare\(`)
	reArgAnnot = regexp.MustCompile(`(\w+):(\w+)`)
)

func declarations(t *testing.T, files map[string]string) []rpcDecl {
	t.Helper()
	var out []rpcDecl
	for name, src := range files {
		all := len(reAnyDecl.FindAllStringIndex(src, -1))
		ms := reDeclare.FindAllStringSubmatch(src, -1)
		if len(ms) != all {
			t.Errorf("%s: %d rpc.declare calls but %d with a `/** @rpc object.method arg:type … */` annotation right above", name, all, len(ms))
		}
		for _, m := range ms {
			d := rpcDecl{file: name, varName: m[4], annotated: map[string]ArgType{}}
			if o := reObject.FindStringSubmatch(m[5]); o != nil {
				d.object = o[1]
			}
			if me := reMethod.FindStringSubmatch(m[5]); me != nil {
				d.method = me[1]
			}
			if d.object != m[1] || d.method != m[2] {
				t.Errorf("%s: %s: annotation says %s.%s, declaration says %s.%s", name, d.varName, m[1], m[2], d.object, d.method)
			}
			if p := reParams.FindStringSubmatch(m[5]); p != nil {
				for _, q := range reQuoted.FindAllStringSubmatch(p[1], -1) {
					d.params = append(d.params, q[1])
				}
			}
			for _, a := range reArgAnnot.FindAllStringSubmatch(m[3], -1) {
				d.annotated[a[1]] = ArgType(a[2])
				d.annotatedOrder = append(d.annotatedOrder, a[1])
			}
			out = append(out, d)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].file+out[i].varName < out[j].file+out[j].varName })
	return out
}

// TestRPCDeclarations: every rpc.declare in the app names a method of the
// table, with argument names (and, through the annotation, types) the
// table declares, and passes every required argument.
func TestRPCDeclarations(t *testing.T) {
	decls := declarations(t, jsFiles(t))
	if len(decls) == 0 {
		t.Fatal("no rpc.declare found")
	}
	used := map[string]bool{}
	for _, d := range decls {
		where := d.file + ": " + d.varName
		if d.object != Object {
			t.Errorf("%s: object %q, want %q", where, d.object, Object)
			continue
		}
		m, ok := Lookup(d.method)
		if !ok {
			t.Errorf("%s: method %q is not in the table", where, d.method)
			continue
		}
		used[m.Name] = true
		if diff := cmp.Diff(d.annotatedOrder, d.params); diff != "" {
			t.Errorf("%s: @rpc annotation and params differ (-annotation +params):\n%s", where, diff)
		}
		for _, p := range d.params {
			a, ok := m.Arg(p)
			if !ok {
				t.Errorf("%s: %s takes no argument %q", where, m.Name, p)
				continue
			}
			if got := d.annotated[p]; got != a.Type {
				t.Errorf("%s: %s.%s annotated as %q, table says %q", where, m.Name, p, got, a.Type)
			}
		}
		for _, a := range m.Args {
			if a.Required && !contains(d.params, a.Name) {
				t.Errorf("%s: required argument %s.%s not in params", where, m.Name, a.Name)
			}
		}
	}
	// The pages cover the whole object: every method is reachable from LuCI.
	for _, m := range Methods {
		if !used[m.Name] {
			t.Errorf("method %s is not used by any view", m.Name)
		}
	}
}

func contains(l []string, s string) bool {
	for _, e := range l {
		if e == s {
			return true
		}
	}
	return false
}

type aclGrant struct {
	Ubus map[string][]string `json:"ubus"`
	UCI  []string            `json:"uci"`
	File map[string][]string `json:"file"`
}

type aclEntry struct {
	Description string    `json:"description"`
	Read        *aclGrant `json:"read"`
	Write       *aclGrant `json:"write"`
}

func readJSON(t *testing.T, rel string, v any) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(luciDir(t), rel))
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		t.Fatalf("%s: invalid JSON or unknown field: %v", rel, err)
	}
	return b
}

const aclPath = "root/usr/share/rpcd/acl.d/luci-app-floatgw.json"
const menuPath = "root/usr/share/luci/menu.d/luci-app-floatgw.json"

// TestACL: the read grant holds only Read methods, the write grant only
// Write methods, every table method is granted exactly once, nothing is a
// wildcard, and UCI access is limited to floatgw.
func TestACL(t *testing.T) {
	var acl map[string]aclEntry
	raw := readJSON(t, aclPath, &acl)
	if strings.Contains(string(raw), "*") {
		t.Errorf("%s contains a wildcard", aclPath)
	}
	if len(acl) != 1 {
		t.Errorf("want exactly the group %s, got %d groups", aclGroup, len(acl))
	}
	e, ok := acl[aclGroup]
	if !ok || e.Read == nil || e.Write == nil {
		t.Fatalf("group %s with read and write grants missing", aclGroup)
	}
	if e.Description == "" {
		t.Error("ACL group has no description")
	}
	granted := map[string]Access{}
	check := func(g *aclGrant, want Access) {
		for obj, methods := range g.Ubus {
			if obj != Object {
				t.Errorf("%s grant names ubus object %q; only %q belongs to this app", want, obj, Object)
				continue
			}
			for _, name := range methods {
				m, ok := Lookup(name)
				if !ok {
					t.Errorf("%s grant: method %q is not in the table", want, name)
					continue
				}
				if m.Access != want {
					t.Errorf("%s grant: method %s is a %s method", want, name, m.Access)
				}
				if _, dup := granted[name]; dup {
					t.Errorf("method %s granted twice", name)
				}
				granted[name] = want
			}
		}
		if diff := cmp.Diff([]string{"floatgw"}, g.UCI); diff != "" {
			t.Errorf("%s grant uci (-want +got):\n%s", want, diff)
		}
		if len(g.File) != 0 {
			t.Errorf("%s grant: no file access is needed", want)
		}
	}
	check(e.Read, Read)
	check(e.Write, Write)
	for _, m := range Methods {
		if _, ok := granted[m.Name]; !ok {
			t.Errorf("method %s is not granted (LuCI could never call it)", m.Name)
		}
	}
}

type menuNode struct {
	Title  string `json:"title"`
	Order  int    `json:"order"`
	Action struct {
		Type string `json:"type"`
		Path string `json:"path"`
	} `json:"action"`
	Depends *struct {
		ACL []string        `json:"acl"`
		UCI map[string]bool `json:"uci"`
	} `json:"depends"`
}

// TestMenu: valid JSON, the root under admin/services/floatgw with tabs, the
// ACL dependency, and a view file behind every view node.
func TestMenu(t *testing.T) {
	var menu map[string]menuNode
	readJSON(t, menuPath, &menu)
	root, ok := menu["admin/services/floatgw"]
	if !ok {
		t.Fatal("no admin/services/floatgw node")
	}
	if root.Action.Type != "firstchild" || root.Title == "" {
		t.Errorf("root node: %+v", root)
	}
	if root.Depends == nil || !contains(root.Depends.ACL, aclGroup) || !root.Depends.UCI["floatgw"] {
		t.Errorf("root node must depend on ACL %s and uci floatgw", aclGroup)
	}
	views := 0
	for key, n := range menu {
		if key == "admin/services/floatgw" {
			continue
		}
		if !strings.HasPrefix(key, "admin/services/floatgw/") || n.Title == "" || n.Order == 0 {
			t.Errorf("node %s: bad key, title or order", key)
		}
		if n.Action.Type != "view" {
			t.Errorf("node %s: action %q", key, n.Action.Type)
			continue
		}
		views++
		if _, err := os.Stat(filepath.Join(luciDir(t), "htdocs/luci-static/resources/view", n.Action.Path+".js")); err != nil {
			t.Errorf("node %s: view %s: %v", key, n.Action.Path, err)
		}
	}
	if views != 4 {
		t.Errorf("want 4 tabs (status, verify, settings, diagnostics), got %d", views)
	}
}

// tableKeys extracts the keys of `const <name> = { … };` in the shared
// resource; nested objects (words) give "kind.word" keys.
func tableKeys(t *testing.T, src, name string) []string {
	t.Helper()
	start := strings.Index(src, "const "+name+" = {\n")
	if start < 0 {
		t.Fatalf("shared resource has no table %s", name)
	}
	end := strings.Index(src[start:], "\n};")
	if end < 0 {
		t.Fatalf("table %s not closed", name)
	}
	body := src[start : start+end]
	reKey := regexp.MustCompile(`^(\t+)'?([A-Za-z0-9_.]+)'?:\s*(\{?)`)
	var keys []string
	kind := ""
	for _, line := range strings.Split(body, "\n")[1:] {
		m := reKey.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		switch {
		case len(m[1]) == 1 && m[3] == "{":
			kind = m[2]
		case len(m[1]) == 1:
			keys = append(keys, m[2])
		case len(m[1]) == 2 && kind != "":
			keys = append(keys, kind+"."+m[2])
		}
	}
	sort.Strings(keys)
	return keys
}

// TestSharedTables: the shared LuCI resource translates every problem code,
// fix, vocabulary word, verification step and timing of this package, and
// nothing else.
func TestSharedTables(t *testing.T) {
	src := jsFiles(t)[sharedJS]
	var codes, fixes, words, steps, timings []string
	for _, c := range Codes {
		codes = append(codes, string(c.Code))
	}
	for _, f := range Fixes {
		fixes = append(fixes, f.ID)
	}
	for kind, list := range Vocabulary {
		for _, w := range list {
			words = append(words, kind+"."+w)
		}
	}
	for _, s := range VerifySteps {
		steps = append(steps, s.Name)
	}
	for _, s := range VerifyTimings {
		timings = append(timings, s.Name)
	}
	for _, tc := range []struct {
		table string
		want  []string
	}{
		{"problemText", codes}, {"fixText", fixes}, {"words", words}, {"stepText", steps}, {"timingText", timings},
	} {
		sort.Strings(tc.want)
		if diff := cmp.Diff(tc.want, tableKeys(t, src, tc.table)); diff != "" {
			t.Errorf("floatgw.js %s vs internal/api (-api +js):\n%s", tc.table, diff)
		}
	}
	for _, f := range Fixes {
		if _, ok := LookupCode(f.Code); !ok && f.Code != "" {
			t.Errorf("fix %s addresses unknown code %s", f.ID, f.Code)
		}
	}
}

var (
	reRequire = regexp.MustCompile(`^'require ([A-Za-z0-9_.]+)(?: as ([A-Za-z_][A-Za-z0-9_]*))?';$`)
	reRegexQ  = regexp.MustCompile(`[=(,:!&|?]\s*/[^/*\n][^\n]*?['"][^\n]*?/[gimsuy]*[.;,)]`)
)

// TestJSConventions: LuCI module shape ('use strict', then only 'require'
// pragmas, a class returned at the end), every required module used and
// every used module required, tabs for indentation, and no quotes inside
// regular-expression literals (which the string lexer relies on).
func TestJSConventions(t *testing.T) {
	modules := []string{"view", "form", "rpc", "uci", "poll", "ui", "dom", "fs", "network", "baseclass", "request", "widgets", "fgw"}
	for name, src := range jsFiles(t) {
		lines := strings.Split(src, "\n")
		if lines[0] != "'use strict';" {
			t.Errorf("%s: first line must be 'use strict';", name)
		}
		required := map[string]bool{}
		i := 1
		for ; i < len(lines) && strings.HasPrefix(lines[i], "'"); i++ {
			m := reRequire.FindStringSubmatch(lines[i])
			if m == nil {
				t.Errorf("%s:%d: not a require pragma: %s", name, i+1, lines[i])
				continue
			}
			alias := m[2]
			if alias == "" {
				alias = m[1]
			}
			required[alias] = true
		}
		body := strings.Join(lines[i:], "\n")
		code := stripComments(body)
		for _, mod := range modules {
			usedMod := regexp.MustCompile(`(^|[^.\w'])` + mod + `\.`).MatchString(code)
			if usedMod && !required[mod] {
				t.Errorf("%s: uses %s. without 'require %s'", name, mod, mod)
			}
			if required[mod] && !usedMod {
				t.Errorf("%s: requires %s but never uses it", name, mod)
			}
		}
		want := "return view.extend({"
		if name == sharedJS {
			want = "return baseclass.extend({"
		} else if !strings.HasPrefix(name, viewDir) {
			t.Errorf("%s: unexpected JS file", name)
		}
		if !strings.Contains(body, "\n"+want+"\n") || !strings.HasSuffix(strings.TrimRight(body, "\n"), "});") {
			t.Errorf("%s: must end with %s … });", name, want)
		}
		if strings.HasPrefix(name, viewDir) && !required["view"] {
			t.Errorf("%s: views must require view", name)
		}
		for n, l := range lines {
			if strings.HasPrefix(l, " ") && !strings.HasPrefix(l, " *") {
				t.Errorf("%s:%d: indent with tabs", name, n+1)
			}
			if reRegexQ.MatchString(l) {
				t.Errorf("%s:%d: quote inside what looks like a regex literal", name, n+1)
			}
		}
		if strings.Contains(body, "\"*\"") {
			t.Errorf("%s: wildcard", name)
		}
	}
}

// stripComments blanks // and /* */ comments outside string literals.
func stripComments(src string) string {
	var b strings.Builder
	for i := 0; i < len(src); {
		switch {
		case strings.HasPrefix(src[i:], "//"):
			j := strings.IndexByte(src[i:], '\n')
			if j < 0 {
				return b.String()
			}
			i += j
		case strings.HasPrefix(src[i:], "/*"):
			j := strings.Index(src[i+2:], "*/")
			if j < 0 {
				return b.String()
			}
			i += j + 4
		case src[i] == '\'' || src[i] == '"' || src[i] == '`':
			_, n, ok := jsString(src[i:])
			if !ok {
				n = 1
			}
			b.WriteString(src[i : i+n])
			i += n
		default:
			b.WriteByte(src[i])
			i++
		}
	}
	return b.String()
}

// poEntry is one message of a .po/.pot file.
type poEntry struct {
	id, str string
	fuzzy   bool
}

func poUnquote(t *testing.T, file, s string) string {
	t.Helper()
	v, err := strconv.Unquote(s)
	if err != nil {
		t.Fatalf("%s: bad po string %s: %v", file, s, err)
	}
	return v
}

func readPO(t *testing.T, rel string) map[string]poEntry {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(luciDir(t), rel))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]poEntry{}
	var cur poEntry
	field := ""
	flush := func() {
		if field != "" && cur.id != "" {
			if _, dup := out[cur.id]; dup {
				t.Errorf("%s: duplicate msgid %q", rel, cur.id)
			}
			out[cur.id] = cur
		}
		cur, field = poEntry{}, ""
	}
	for _, line := range strings.Split(string(b), "\n") {
		switch {
		case strings.HasPrefix(line, "#,"):
			flush()
			cur.fuzzy = strings.Contains(line, "fuzzy")
		case strings.HasPrefix(line, "#"):
			if field == "str" {
				flush()
			}
		case strings.HasPrefix(line, "msgid "):
			if field == "str" {
				f := cur.fuzzy
				flush()
				cur.fuzzy = f
			}
			field = "id"
			cur.id = poUnquote(t, rel, line[6:])
		case strings.HasPrefix(line, "msgstr "):
			field = "str"
			cur.str = poUnquote(t, rel, line[7:])
		case strings.HasPrefix(line, "\""):
			v := poUnquote(t, rel, line)
			if field == "id" {
				cur.id += v
			} else if field == "str" {
				cur.str += v
			}
		case strings.TrimSpace(line) == "":
			if field == "str" {
				flush()
			}
		}
	}
	flush()
	return out
}

// extracted returns every msgid the app uses: _() literals in the JS, menu
// titles and the ACL description (LuCI's i18n-scan extracts all three).
func extracted(t *testing.T) map[string]bool {
	t.Helper()
	ids := map[string]bool{}
	for name, src := range jsFiles(t) {
		for _, s := range lexStrings(t, name, src) {
			ids[s] = true
		}
	}
	var menu map[string]menuNode
	readJSON(t, menuPath, &menu)
	for _, n := range menu {
		ids[n.Title] = true
	}
	var acl map[string]aclEntry
	readJSON(t, aclPath, &acl)
	for _, e := range acl {
		ids[e.Description] = true
	}
	return ids
}

// TestTranslations: the template holds exactly the strings the app uses, and
// zh_Hans translates every one of them (no empty, no fuzzy entries).
func TestTranslations(t *testing.T) {
	ids := extracted(t)
	if len(ids) < 100 {
		t.Fatalf("only %d strings extracted; the lexer is broken", len(ids))
	}
	pot := readPO(t, "po/templates/floatgw.pot")
	for id := range ids {
		if _, ok := pot[id]; !ok {
			t.Errorf("floatgw.pot lacks %q (run luci-app/tests/run.sh pot)", id)
		}
	}
	for id := range pot {
		if !ids[id] {
			t.Errorf("floatgw.pot has stale msgid %q", id)
		}
	}
	zh := readPO(t, "po/zh_Hans/floatgw.po")
	for id := range pot {
		e, ok := zh[id]
		switch {
		case !ok:
			t.Errorf("zh_Hans lacks %q", id)
		case e.str == "":
			t.Errorf("zh_Hans: empty translation of %q", id)
		case e.fuzzy:
			t.Errorf("zh_Hans: fuzzy translation of %q", id)
		case strings.Count(e.str, "%") != strings.Count(id, "%"):
			t.Errorf("zh_Hans: placeholders differ in %q -> %q", id, e.str)
		}
	}
	for id := range zh {
		if _, ok := pot[id]; !ok {
			t.Errorf("zh_Hans has msgid %q not in the template", id)
		}
	}
}

func TestLexStrings(t *testing.T) {
	src := "'use strict';\n// _('not this')\n/* _('nor this') */\nconst a = '_(\\'no\\')';\n" +
		"x(_('one'), _(\"two \\\"q\\\"\"), _('it\\'s'), _(\n\t'multi'));\n"
	got := lexStrings(t, "inline", src)
	want := []string{"one", "two \"q\"", "it's", "multi"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
