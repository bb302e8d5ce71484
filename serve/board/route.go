package board

import "strings"

type routeKind int

const (
	routeList  routeKind = iota // /api/board/{class}
	routePost                   // /api/board/{class}/runs
	routeCSV                    // /api/board/{class}/runs.csv
	routeClaim                  // /api/board/{class}/claim
	routeHide                   // /api/board/{class}/runs/{id}
)

// A routed request: what it asks for, of which class, and the methods its path takes.
type routed struct {
	kind    routeKind
	class   string // as sent (still escaped), so that a percent sign fails validation
	id      string // the run id of routeHide, as sent
	methods []string
}

// route splits an escaped path under Prefix into one of the API's routes.
func route(p string) (routed, bool) {
	rest, found := strings.CutPrefix(p, Prefix)
	if !found {
		return routed{}, false
	}
	parts := strings.Split(rest, "/")
	rt := routed{class: parts[0]}
	if rt.class == "" {
		return routed{}, false
	}
	switch {
	case len(parts) == 1:
		rt.kind, rt.methods = routeList, []string{"GET", "HEAD"}
	case len(parts) == 2 && parts[1] == "runs":
		rt.kind, rt.methods = routePost, []string{"POST"}
	case len(parts) == 2 && parts[1] == "runs.csv":
		rt.kind, rt.methods = routeCSV, []string{"GET", "HEAD"}
	case len(parts) == 2 && parts[1] == "claim":
		rt.kind, rt.methods = routeClaim, []string{"POST"}
	case len(parts) == 3 && parts[1] == "runs" && parts[2] != "":
		rt.kind, rt.methods, rt.id = routeHide, []string{"DELETE"}, parts[2]
	default:
		return routed{}, false
	}
	return rt, true
}
