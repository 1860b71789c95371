// Package image reads a container image from a registry by digest (manifest, config, layers),
// keeps the files of its static directory in memory, and caches them by digest.
package image

import (
	"fmt"
	"regexp"
	"strings"
)

// Ref is an image reference pinned by digest: registry/repository[:tag]@sha256:hex.
type Ref struct {
	Registry   string
	Repository string
	Tag        string // informative only; the digest decides
	Digest     string
}

var digestRE = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)

// ParseRef parses an image reference and refuses one that is not pinned by a sha256 digest:
// only a digest says which bytes a pod runs.
func ParseRef(s string) (Ref, error) {
	name, digest, ok := strings.Cut(s, "@")
	if !ok {
		return Ref{}, fmt.Errorf("image %q is not pinned by digest (want registry/repository@sha256:...)", s)
	}
	if !digestRE.MatchString(digest) {
		return Ref{}, fmt.Errorf("image %q: %q is not a sha256 digest", s, digest)
	}
	r := Ref{Digest: digest}
	if i := strings.LastIndex(name, ":"); i > strings.LastIndex(name, "/") {
		name, r.Tag = name[:i], name[i+1:]
	}
	first, rest, ok := strings.Cut(name, "/")
	if ok && (strings.ContainsAny(first, ".:") || first == "localhost") {
		r.Registry, r.Repository = first, rest
	} else {
		r.Registry, r.Repository = "docker.io", name
		if !ok {
			r.Repository = "library/" + name
		}
	}
	if r.Repository == "" {
		return Ref{}, fmt.Errorf("image %q has no repository", s)
	}
	return r, nil
}

func (r Ref) String() string {
	s := r.Registry + "/" + r.Repository
	if r.Tag != "" {
		s += ":" + r.Tag
	}
	return s + "@" + r.Digest
}
