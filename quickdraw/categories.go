package quickdraw

import (
	_ "embed"
	"strings"
	"sync"
)

// categoriesTxt is the official category list, copied from categories.txt of
// github.com/googlecreativelab/quickdraw-dataset (345 names, CC BY 4.0).
//
//go:embed categories.txt
var categoriesTxt string

var categories = sync.OnceValue(func() []string {
	return strings.Split(strings.TrimSuffix(categoriesTxt, "\n"), "\n")
})

var categorySet = sync.OnceValue(func() map[string]bool {
	m := make(map[string]bool, 345)
	for _, c := range categories() {
		m[c] = true
	}
	return m
})

// Categories returns the 345 official QuickDraw category names, in the order
// of the official categories.txt. Names keep their spaces ("smiley face").
// The returned slice is a fresh copy that the caller may modify.
func Categories() []string {
	return append([]string(nil), categories()...)
}

// IsCategory reports whether name is one of the 345 official category names.
func IsCategory(name string) bool { return categorySet()[name] }

// validName reports whether a category name is safe to use as a file name:
// not empty, no path separators, no "." or "..", no control characters.
func validName(name string) bool {
	if name == "" || name == "." || name == ".." || len(name) > 255 {
		return false
	}
	for _, r := range name {
		if r == '/' || r == '\\' || r < 0x20 || r == 0x7f {
			return false
		}
	}
	return true
}
