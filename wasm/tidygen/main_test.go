package main

import (
	"strings"
	"testing"
)

func TestTidyDropsOnlyIndentation(t *testing.T) {
	src := `package p

func f() {
vgn = &vugu.VGNode{Type:vugu.VGNodeType(1),Data:"\n  "}
vgparent.AppendChild(vgn)
vgn = &vugu.VGNode{Type:vugu.VGNodeType(1),Data:" "}
vgparent.AppendChild(vgn)
vgn = &vugu.VGNode{Type:vugu.VGNodeType(1),Data:"\n  step\n"}
vgparent.AppendChild(vgn)
	vgn = &vugu.VGNode{Type: vugu.VGNodeType(1), Data: "\t\n\t\t"}
	vgparent.AppendChild(vgn)
}
`
	out, err := Tidy([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	got := string(out)
	if strings.Contains(got, `"\n  "`) || strings.Contains(got, `"\t\n\t\t"`) {
		t.Errorf("indentation kept:\n%s", got)
	}
	if !strings.Contains(got, `Data: " "`) || !strings.Contains(got, `Data: "\n  step\n"`) {
		t.Errorf("text dropped:\n%s", got)
	}
	if strings.Count(got, "AppendChild") != 2 {
		t.Errorf("want 2 nodes left:\n%s", got)
	}
}
