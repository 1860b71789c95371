package imagecontract

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/distribution/reference"
	"github.com/opencontainers/go-digest"

	"github.com/coulomb-social/inter-hub-deploy/internal/registryapi"
)

// Account is a registry account that may pull the image, and the CA the registry's certificate
// is signed by (nil: the system roots).
type Account struct {
	CA                 []byte
	Username, Password string
}

// rules changes whenever Problems checks more, so that no earlier pass is taken for one.
const rules = "2"

// splitRef splits <registry>/<repository>@sha256:<hex> (github.com/distribution/reference's
// grammar; the registry is the part before the first slash, as the registry API needs it).
func splitRef(ref string) (host, repository, dgst string, ok bool) {
	r, err := reference.Parse(ref)
	if err != nil {
		return "", "", "", false
	}
	c, isCanonical := r.(reference.Canonical)
	if !isCanonical || c.Digest().Algorithm() != digest.SHA256 || reference.Domain(c) == "" {
		return "", "", "", false
	}
	return reference.Domain(c), reference.Path(c), c.Digest().String(), true
}

// Verify reads the image ref (<registry>/<repository>@sha256:<hex>) and fails, listing every
// problem, when it lacks part of the contract.
//
// An image that passed is remembered by digest in the user's cache directory: its layers are
// read once, not on every preview of a stack that runs it. Only a pass is remembered.
func Verify(ctx context.Context, ref string, acct Account, c Contract) error {
	host, name, dgst, ok := splitRef(ref)
	if !ok {
		return fmt.Errorf("image contract: %q is not <registry>/<repository>@sha256:<hex>", ref)
	}
	mark := passMark(dgst, c)
	if mark != "" {
		if _, err := os.Stat(mark); err == nil {
			return nil
		}
	}
	repo, err := registryapi.Open(ctx, host, name, acct.CA, acct.Username, acct.Password)
	if err != nil {
		return fmt.Errorf("image contract of %s: %w", ref, err)
	}
	defer repo.Close()
	img, err := Read(ctx, repo, dgst)
	if err != nil {
		return fmt.Errorf("image contract of %s: reading the image: %w", ref, err)
	}
	if problems := c.Problems(img); len(problems) > 0 {
		return fmt.Errorf("the image %s does not hold what the chart runs in it (deploy/app-repo/IMAGE-CONTRACT.md); nothing was deployed:\n  - %s",
			ref, strings.Join(problems, "\n  - "))
	}
	if mark != "" {
		// A mark that cannot be written only costs the next run another read.
		if os.MkdirAll(filepath.Dir(mark), 0o700) == nil {
			_ = os.WriteFile(mark, []byte(ref+"\n"), 0o600)
		}
	}
	return nil
}

// passMark is the file that records that the image digest passed contract c, or "" without a
// cache directory.
func passMark(digest string, c Contract) string {
	dir, err := os.UserCacheDir()
	if err != nil {
		return ""
	}
	// The tools the schema step needs are part of the terms: a tool added to them is checked
	// on images that passed before it was.
	terms, _ := json.Marshal(struct {
		Contract
		SchemaTools []string
	}{c, schemaTools})
	sum := sha256.Sum256(append([]byte(rules+"\n"+digest+"\n"), terms...))
	return filepath.Join(dir, "inter-hub", "image-contract", fmt.Sprintf("%x", sum[:16]))
}
