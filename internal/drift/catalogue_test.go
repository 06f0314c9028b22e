package drift

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/floatgw/floatgw/internal/api"
)

// The catalogue tests: everything this package can put in a VerifyRun (a
// problem code, a fix, a step or timing name) is in internal/api's
// catalogue, which the LuCI app translates (internal/api's contract test
// checks that side).

// apiCodeConsts parses internal/api's non-test source and returns its
// constants of type Code, by name.
func apiCodeConsts(t *testing.T) map[string]api.Code {
	t.Helper()
	fset := token.NewFileSet()
	pkgs, err := parser.ParseDir(fset, filepath.Join("..", "api"), notTest, 0)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]api.Code{}
	for _, p := range pkgs {
		for _, f := range p.Files {
			for _, d := range f.Decls {
				g, ok := d.(*ast.GenDecl)
				if !ok || g.Tok != token.CONST {
					continue
				}
				for _, sp := range g.Specs {
					vs := sp.(*ast.ValueSpec)
					if id, ok := vs.Type.(*ast.Ident); !ok || id.Name != "Code" {
						continue
					}
					for i, n := range vs.Names {
						if s, ok := stringLit(vs.Values[i]); ok {
							out[n.Name] = api.Code(s)
						}
					}
				}
			}
		}
	}
	if len(out) < 30 {
		t.Fatalf("found only %d Code constants in internal/api: the parser missed them", len(out))
	}
	return out
}

func notTest(fi fs.FileInfo) bool { return !strings.HasSuffix(fi.Name(), "_test.go") }

func stringLit(e ast.Expr) (string, bool) {
	bl, ok := e.(*ast.BasicLit)
	if !ok || bl.Kind != token.STRING {
		return "", false
	}
	s, err := strconv.Unquote(bl.Value)
	return s, err == nil
}

// isAPI reports whether e is the selector api.<name>.
func isAPI(e ast.Expr, name string) bool {
	sel, ok := e.(*ast.SelectorExpr)
	if !ok || sel.Sel.Name != name {
		return false
	}
	x, ok := sel.X.(*ast.Ident)
	return ok && x.Name == "api"
}

// emitted is what a scan of the source found.
type emitted struct {
	codes map[api.Code][]string // code → positions
	fixes map[string][]api.Fix  // fix variable (or position) → literal
	pairs []codeFix             // a code reported with a fix
	errs  []string
}

type codeFix struct {
	code api.Code
	fix  api.Fix
	pos  string
}

// scanSource finds, in Go files: every internal/api Code constant used
// (api.X), every api.Code("…") conversion, every constant declared with
// type api.Code, every api.Fix literal, and which code each fix variable is
// reported with (a call taking both, or a case clause on codes returning
// the fix variable).
func scanSource(fset *token.FileSet, files []*ast.File, consts map[string]api.Code) emitted {
	em := emitted{codes: map[api.Code][]string{}, fixes: map[string][]api.Fix{}}
	fixVars := map[string]api.Fix{}
	codeOf := func(e ast.Expr) (api.Code, bool) {
		if sel, ok := e.(*ast.SelectorExpr); ok {
			if x, ok := sel.X.(*ast.Ident); ok && x.Name == "api" {
				c, ok := consts[sel.Sel.Name]
				return c, ok
			}
		}
		if call, ok := e.(*ast.CallExpr); ok && isAPI(call.Fun, "Code") && len(call.Args) == 1 {
			if s, ok := stringLit(call.Args[0]); ok {
				return api.Code(s), true
			}
		}
		return "", false
	}
	fixLit := func(e ast.Expr) (api.Fix, bool) {
		if u, ok := e.(*ast.UnaryExpr); ok && u.Op == token.AND {
			e = u.X
		}
		cl, ok := e.(*ast.CompositeLit)
		if !ok || !isAPI(cl.Type, "Fix") {
			return api.Fix{}, false
		}
		var f api.Fix
		for _, el := range cl.Elts {
			kv, ok := el.(*ast.KeyValueExpr)
			if !ok {
				continue
			}
			switch kv.Key.(*ast.Ident).Name {
			case "ID":
				f.ID, _ = stringLit(kv.Value)
			case "Label":
				f.Label, _ = stringLit(kv.Value)
			case "Safe":
				id, _ := kv.Value.(*ast.Ident)
				f.Safe = id != nil && id.Name == "true"
			}
		}
		return f, true
	}
	// Pass 1: constants and fix variables.
	for _, file := range files {
		for _, d := range file.Decls {
			g, ok := d.(*ast.GenDecl)
			if !ok {
				continue
			}
			for _, sp := range g.Specs {
				vs, ok := sp.(*ast.ValueSpec)
				if !ok {
					continue
				}
				if g.Tok == token.CONST && vs.Type != nil && isAPI(vs.Type, "Code") {
					for _, n := range vs.Names {
						em.errs = append(em.errs, fmt.Sprintf("%s: constant %s of type api.Code: define codes in internal/api",
							fset.Position(n.Pos()), n.Name))
					}
				}
				if g.Tok == token.VAR {
					for i, n := range vs.Names {
						if i < len(vs.Values) {
							if f, ok := fixLit(vs.Values[i]); ok {
								fixVars[n.Name] = f
							}
						}
					}
				}
			}
		}
	}
	// Pass 2: uses.
	for _, file := range files {
		ast.Inspect(file, func(n ast.Node) bool {
			switch n := n.(type) {
			case ast.Expr:
				if c, ok := codeOf(n); ok {
					em.codes[c] = append(em.codes[c], fset.Position(n.Pos()).String())
				}
				if _, lit := n.(*ast.CompositeLit); !lit {
					// &api.Fix{…} is seen as its composite literal.
				} else if f, ok := fixLit(n); ok {
					em.fixes[fset.Position(n.Pos()).String()] = append(em.fixes[fset.Position(n.Pos()).String()], f)
				}
				if call, ok := n.(*ast.CallExpr); ok {
					var codes []api.Code
					var fixes []api.Fix
					for _, a := range call.Args {
						if c, ok := codeOf(a); ok {
							codes = append(codes, c)
						}
						if id, ok := a.(*ast.Ident); ok {
							if f, ok := fixVars[id.Name]; ok {
								fixes = append(fixes, f)
							}
						}
					}
					if len(codes) == 1 && len(fixes) == 1 {
						em.pairs = append(em.pairs, codeFix{codes[0], fixes[0], fset.Position(call.Pos()).String()})
					}
				}
			case *ast.CaseClause:
				var fixes []api.Fix
				for _, st := range n.Body {
					if r, ok := st.(*ast.ReturnStmt); ok {
						for _, res := range r.Results {
							if id, ok := res.(*ast.Ident); ok {
								if f, ok := fixVars[id.Name]; ok {
									fixes = append(fixes, f)
								}
							}
						}
					}
				}
				for _, e := range n.List {
					if c, ok := codeOf(e); ok {
						for _, f := range fixes {
							em.pairs = append(em.pairs, codeFix{c, f, fset.Position(e.Pos()).String()})
						}
					}
				}
			}
			return true
		})
	}
	return em
}

// check returns the ways em disagrees with internal/api's catalogue.
func (em emitted) check() []string {
	errs := append([]string(nil), em.errs...)
	for c, where := range em.codes {
		if _, ok := api.LookupCode(c); !ok {
			errs = append(errs, fmt.Sprintf("%s: code %s is not in api.Codes", where[0], c))
		}
	}
	for where, list := range em.fixes {
		for _, f := range list {
			info, ok := api.LookupFix(f.ID)
			switch {
			case !ok:
				errs = append(errs, fmt.Sprintf("%s: fix %q is not in api.Fixes", where, f.ID))
			case info.Safe != f.Safe:
				errs = append(errs, fmt.Sprintf("%s: fix %s Safe=%v, api.Fixes says %v", where, f.ID, f.Safe, info.Safe))
			case f.Label == "":
				errs = append(errs, fmt.Sprintf("%s: fix %s has no label", where, f.ID))
			}
		}
	}
	for _, p := range em.pairs {
		if info, ok := api.LookupFix(p.fix.ID); ok && info.Code != "" && info.Code != p.code {
			errs = append(errs, fmt.Sprintf("%s: fix %s offered for %s, but api.Fixes has it for %s only (make its Code \"\")",
				p.pos, p.fix.ID, p.code, info.Code))
		}
	}
	sort.Strings(errs)
	return errs
}

// TestCodesAndFixesInCatalogue scans this package's non-test source: every
// problem code and fix it can report is in internal/api's catalogue, with
// the catalogue's Safe, and a fix tied to one code there is offered for
// that code only.
func TestCodesAndFixesInCatalogue(t *testing.T) {
	consts := apiCodeConsts(t)
	fset := token.NewFileSet()
	pkgs, err := parser.ParseDir(fset, ".", notTest, 0)
	if err != nil {
		t.Fatal(err)
	}
	var files []*ast.File
	for _, p := range pkgs {
		for _, f := range p.Files {
			files = append(files, f)
		}
	}
	em := scanSource(fset, files, consts)
	for _, e := range em.check() {
		t.Error(e)
	}
	// The scan must see what the package is known to report; a scanner
	// that finds nothing would pass anything.
	for _, c := range []api.Code{api.ConfigNotApplied, api.VRRPFault, api.VIPNotHeld, api.VerifyCannotOutrank,
		api.VerifySwitchFailed, api.VerifyRestoreFailed, api.VerifyTimeout, api.VerifyNoTakeover, api.SplitBrain} {
		if len(em.codes[c]) == 0 {
			t.Errorf("scan found no use of %s", c)
		}
	}
	ids := map[string]bool{}
	for _, list := range em.fixes {
		for _, f := range list {
			ids[f.ID] = true
		}
	}
	for _, id := range []string{"firewall_vrrp", "keepalived_start", "keepalived_render", "garp_refresh", "notify_handler", "verify.on_holder"} {
		if !ids[id] {
			t.Errorf("scan found no fix %s", id)
		}
	}
	if len(em.pairs) < 20 {
		t.Errorf("scan paired only %d codes with fixes", len(em.pairs))
	}
}

// TestCatalogueScanFails: the scan catches an unknown code, an unknown
// fix, a Safe that disagrees, a fix offered for the wrong code and a code
// constant defined outside internal/api.
func TestCatalogueScanFails(t *testing.T) {
	const src = `package drift
import "github.com/floatgw/floatgw/internal/api"
const CodeOwn api.Code = "OWN_CODE"
var (
	fixNoSuch = &api.Fix{ID: "no.such.fix", Label: "x"}
	fixUnsafe = &api.Fix{ID: "logs", Label: "x", Safe: true}
	fixGARP   = &api.Fix{ID: "garp_refresh", Label: "x", Safe: true}
)
func f(ps *problems) {
	ps.add(api.Code("NO_SUCH_CODE"), api.SeverityError, "", "", "", "", fixNoSuch)
	ps.add(api.SplitBrain, api.SeverityError, "", "", "", "", fixUnsafe)
	ps.add(api.VIPNotHeld, api.SeverityError, "", "", "", "", fixGARP)
}
`
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "bad.go", src, 0)
	if err != nil {
		t.Fatal(err)
	}
	errs := scanSource(fset, []*ast.File{f}, apiCodeConsts(t)).check()
	want := []string{
		"bad.go:10:9: code NO_SUCH_CODE is not in api.Codes",
		"bad.go:12:2: fix garp_refresh offered for VIP_NOT_HELD, but api.Fixes has it for STALE_ARP only (make its Code \"\")",
		"bad.go:3:7: constant CodeOwn of type api.Code: define codes in internal/api",
		"bad.go:5:15: fix \"no.such.fix\" is not in api.Fixes",
		"bad.go:6:15: fix logs Safe=true, api.Fixes says false",
	}
	if strings.Join(errs, "\n") != strings.Join(want, "\n") {
		t.Errorf("scan of a bad source:\n got %q\nwant %q", errs, want)
	}
}

// stepIndexIn returns the position of name in list, or -1.
func stepIndexIn(list []api.StepInfo, name string) int {
	for i, s := range list {
		if s.Name == name {
			return i
		}
	}
	return -1
}

// checkRunSteps checks one run: every step and timing it reported is in
// internal/api's lists, and its steps come in VerifySteps' order.
func checkRunSteps(t *testing.T, name string, m *sim, seen map[string]bool) {
	t.Helper()
	for _, a := range m.progress {
		p := a.(Progress)
		seen[p.Step.Name] = true
		if stepIndexIn(api.VerifySteps, p.Step.Name) < 0 {
			t.Errorf("%s: progress of step %q, not in api.VerifySteps", name, p.Step.Name)
		}
	}
	r := m.finish().Run
	last := -1
	for _, s := range r.Steps {
		seen[s.Name] = true
		i := stepIndexIn(api.VerifySteps, s.Name)
		switch {
		case i < 0:
			t.Errorf("%s: step %q not in api.VerifySteps", name, s.Name)
		case i <= last:
			t.Errorf("%s: step %q after %q, api.VerifySteps has the other order", name, s.Name, api.VerifySteps[last].Name)
		default:
			last = i
		}
	}
	for _, tm := range r.Timings {
		if stepIndexIn(api.VerifyTimings, tm.Name) < 0 {
			t.Errorf("%s: timing %q not in api.VerifyTimings", name, tm.Name)
		}
	}
	if !contains(api.Vocabulary["verify_phase"], r.Phase) {
		t.Errorf("%s: phase %q not in the verify_phase vocabulary", name, r.Phase)
	}
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

// TestStepsInCatalogue runs every kind of run (soft and hard handover,
// takeover, pre-check refusal, failures, recovery of each journal) and
// checks the steps they report against api.VerifySteps: known names, in
// its order, and every name of the list reached by some run.
func TestStepsInCatalogue(t *testing.T) {
	seen := map[string]bool{}
	checkRunSteps(t, "soft handover", runHandover(t, ModeSoft, &handoverWorld{}, holderFacts(), nil), seen)
	checkRunSteps(t, "hard handover", runHandover(t, ModeHard, &handoverWorld{}, holderFacts(), nil), seen)
	checkRunSteps(t, "handover, peer dead", runHandover(t, ModeSoft, &handoverWorld{peerDead: true}, holderFacts(), nil), seen)
	checkRunSteps(t, "soft takeover", runTakeover(t, ModeSoft, &takeoverWorld{}, backupFacts(), nil), seen)
	checkRunSteps(t, "takeover, peer deaf", runTakeover(t, ModeSoft, &takeoverWorld{peerDeaf: true}, backupFacts(), nil), seen)
	checkRunSteps(t, "hard on the backup", runTakeover(t, ModeHard, &takeoverWorld{}, backupFacts(), nil), seen)
	refused := holderFacts()
	refused.KeepalivedRunning = false
	checkRunSteps(t, "refused", runHandover(t, ModeSoft, &handoverWorld{}, refused, nil), seen)
	for _, c := range []Changes{{Demoted: true}, {Promoted: true}, {Paused: true, VIPsRemoved: true}, {}} {
		j := Journal{RunID: "old", Started: at(0), Changes: c}
		checkRunSteps(t, fmt.Sprintf("recover %+v", c), recoverSim(t, j, holderPlan(ModeSoft), &handoverWorld{hard: true}), seen)
	}
	for _, s := range api.VerifySteps {
		if !seen[s.Name] {
			t.Errorf("no run reported step %q of api.VerifySteps", s.Name)
		}
	}
}
