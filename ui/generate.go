package ui

// The components' Go code is generated from the .vugu files and committed:
// vugugen writes it, tidygen drops the indentation text nodes and gofmts it.
// The page's copy of Vugu's DOM renderer script is extracted from the Vugu
// module in use. TestGeneratedFilesAreFresh (and wasm/rendererjs's test)
// fail when any of them is stale.

//go:generate go tool vugugen .
//go:generate go run ../wasm/tidygen .
//go:generate go run ../wasm/rendererjs -out ../wasm/web/vugu-render.js
