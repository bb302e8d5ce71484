// Package core holds no code of its own; its tests check rules that hold
// across core/ (no function over 80 lines).
package core
