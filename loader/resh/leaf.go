package resh

import "sort"

// RuleServiceOnNonLeaf names the leaf-node rule: services sit only on
// leaf units, so a unit with child units carries no services
// (docs/formats.md). A violation is a load warning, not a reject: the
// source (../shared/docs/grunndata-reference.md §4) marks the rule
// unverified, so the unit is served as given.
const RuleServiceOnNonLeaf = "resh-service-on-non-leaf"

// LeafCheck applies the leaf-node rule to the units of one file. The file
// lists parents before children, but a unit's children are known only once
// the file is read: Add every stored unit, then ask for Violations.
// Memory is one map entry per unit with services and per parent.
type LeafCheck struct {
	services map[int64]serviced // units carrying services
	children map[int64]int      // child units per parent id
}

type serviced struct {
	line, services int
}

// Violation is a unit that has child units and carries services.
type Violation struct {
	ReshID   int64
	Line     int // the unit's line in the file
	Services int
	Children int
}

// Add records one unit: its id, its parent (0 for a root), its line and
// the number of services it carries. A parent absent from the file is
// counted like any other: it has no services to report.
func (c *LeafCheck) Add(reshID, parent int64, line, services int) {
	if c.children == nil {
		c.services, c.children = map[int64]serviced{}, map[int64]int{}
	}
	if parent != 0 {
		c.children[parent]++
	}
	if services > 0 {
		c.services[reshID] = serviced{line, services}
	}
}

// Violations returns the units added with services and with at least one
// child unit added, in file order.
func (c *LeafCheck) Violations() []Violation {
	var out []Violation
	for id, s := range c.services {
		if n := c.children[id]; n > 0 {
			out = append(out, Violation{ReshID: id, Line: s.line, Services: s.services, Children: n})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Line < out[j].Line })
	return out
}
