package themes

import (
	"reflect"
	"regexp"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var hexColour = regexp.MustCompile(`^#[0-9A-Fa-f]{6}$`)

func TestEveryColourIsHex(t *testing.T) {
	for _, name := range Names() {
		th, ok := Get(name)
		if !ok {
			t.Fatalf("no theme %q", name)
		}
		v := reflect.ValueOf(th)
		for i := range v.NumField() {
			f := v.Type().Field(i)
			if f.Type.Kind() != reflect.String || f.Name == "Name" {
				continue
			}
			if c := v.Field(i).String(); !hexColour.MatchString(c) {
				t.Errorf("%s.%s = %q, not a #rrggbb colour", name, f.Name, c)
			}
		}
	}
}

func TestNamesAndCycle(t *testing.T) {
	for _, want := range []string{"dark", "light", "high-contrast"} {
		if _, ok := Get(want); !ok {
			t.Errorf("no %s theme", want)
		}
	}
	if MustGet("nope").Name != Default {
		t.Error("an unknown name does not give the default")
	}
	if _, err := Lookup("nope"); err == nil {
		t.Error("Lookup accepted an unknown name")
	}
	seen := map[string]bool{}
	name := Default
	for range Names() {
		name = Next(name).Name
		seen[name] = true
	}
	if len(seen) != len(Names()) {
		t.Errorf("Next visits %v", seen)
	}
	if !Mono.Mono || Mono.Fg != "" {
		t.Error("Mono has colours")
	}
}

func TestNoColor(t *testing.T) {
	t.Setenv("NO_COLOR", "1")
	if !NoColor() {
		t.Error("NO_COLOR=1 not seen")
	}
	t.Setenv("NO_COLOR", "")
	if NoColor() {
		t.Error("an empty NO_COLOR counts")
	}
}
