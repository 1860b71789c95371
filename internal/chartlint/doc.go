// Package chartlint holds the app chart's tests: Helm's own linter and a render of the chart
// with the values the program passes. It has no code of its own, so that Helm's libraries stay
// out of the program binary.
package chartlint
