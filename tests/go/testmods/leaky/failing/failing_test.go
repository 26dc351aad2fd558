package failing

import "testing"

func TestParseBothFailsAndLeaks(t *testing.T) {
	if err := ParseBoth("x", "y"); err == nil {
		t.Fatal("want an error")
	}
	t.Error("this test fails on purpose")
}

func TestParsePasses(t *testing.T) {
	if n, err := Parse("12"); err != nil || n != 12 {
		t.Fatal(n, err)
	}
}
