//go:build !js

package main

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

func printTable(o Output, steps map[string]stepReport, matmul map[string]map[string]float64) {
	cols := []string{"native", "native-purego", "chromium-simd", "chromium-go"}
	fmt.Printf("\n%s\nload average %s; medians of %d steps, ms\n\n", o.Browser, o.LoadAvg, o.Reps)
	fmt.Printf("%-18s %8s %8s %14s %12s %9s %10s %10s  %s\n", "workload", "native", "purego", "chromium+simd", "chromium-go", "simd gain", "go/native", "go/purego", "same bits")
	var names []string
	for _, c := range cols {
		for _, w := range steps[c].Results {
			if !contains(names, w.Name) {
				names = append(names, w.Name)
			}
		}
	}
	names = slices.DeleteFunc(names, func(n string) bool { return strings.Contains(n, "@") }) // the scaling table's
	for _, n := range names {
		ms := map[string]float64{}
		hs := map[string]string{}
		for _, c := range cols {
			for _, w := range steps[c].Results {
				if w.Name == n {
					ms[c], hs[c] = w.MedianMs, w.Hash
				}
			}
		}
		same := "yes"
		for _, c := range cols {
			if hs[c] != "" && hs[c] != hs["chromium-simd"] {
				same = "NO"
			}
		}
		fmt.Printf("%-18s %8s %8s %14s %12s %9s %10s %10s  %s\n", n, num(ms["native"]), num(ms["native-purego"]), num(ms["chromium-simd"]), num(ms["chromium-go"]),
			ratio(ms["chromium-go"], ms["chromium-simd"]), ratio(ms["chromium-go"], ms["native"]), ratio(ms["chromium-go"], ms["native-purego"]), same)
	}
	fmt.Printf("\nreference OPSD step by phase, ms (rollouts / teacher / update)\n")
	for _, n := range names {
		line := ""
		for _, c := range cols {
			for _, w := range steps[c].Results {
				if w.Name == n && len(w.PhaseMs) > 0 {
					line += fmt.Sprintf("   %s %.1f / %.1f / %.1f", c, w.PhaseMs["rollouts"], w.PhaseMs["teacher"], w.PhaseMs["update"])
				}
			}
		}
		if line != "" {
			fmt.Printf("%-18s%s\n", n, line)
		}
	}
	fmt.Printf("\n%-26s %8s %8s %14s %12s   (GFLOP/s)\n", "matmul", "native", "purego", "chromium+simd", "chromium-go")
	var mm []string
	for _, c := range cols {
		for k := range matmul[c] {
			if !contains(mm, k) {
				mm = append(mm, k)
			}
		}
	}
	sortStrings(mm)
	for _, k := range mm {
		fmt.Printf("%-26s %8s %8s %14s %12s\n", k, num(matmul["native"][k]), num(matmul["native-purego"][k]), num(matmul["chromium-simd"][k]), num(matmul["chromium-go"][k]))
	}
	if o.Ceiling != nil {
		fmt.Printf("\nceiling of bit-exact SIMD128 in Chromium (GFLOP/s): unfused f32x4 mul+add in registers %.1f, the 4x8 tile loop in L1 %.1f\n",
			o.Ceiling["chains"], o.Ceiling["tile_4x8"])
	}
	fmt.Println()
	for _, c := range []string{"chromium-simd", "chromium-go"} {
		t := o.Tests[c]
		fmt.Printf("core/model and core/num tests in %s: passed %v (%d tests, SIMD kernels in use: %v)\n", c, t.Passed, len(t.Tests), t.SIMDActive)
	}
	fmt.Printf("trained parameters identical natively and in Chromium on both kernel paths: %v\n", o.SameBits)
}

func num(v float64) string {
	if v == 0 {
		return "-"
	}
	return strconv.FormatFloat(v, 'f', 1, 64)
}

func ratio(a, b float64) string {
	if a == 0 || b == 0 {
		return "-"
	}
	return strconv.FormatFloat(a/b, 'f', 2, 64) + "x"
}

func contains(s []string, x string) bool {
	for _, v := range s {
		if v == x {
			return true
		}
	}
	return false
}

func sortStrings(s []string) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}
