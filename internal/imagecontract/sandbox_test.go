//go:build integration

package imagecontract

import (
	"context"
	"crypto/sha256"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/coulomb-social/inter-hub-deploy/internal/registryapi"
	"github.com/coulomb-social/inter-hub-deploy/test/support/standin"
)

// The check against the stand-in's real registry, with its authentication: the Traefik image
// sandbox-up pushed is a real image but not an app image, so the check finds its server and says
// what else it lacks; a wrong password is refused before anything is read.
func TestVerifyAgainstTheStandInRegistry(t *testing.T) {
	env := standin.Require(t)
	ca, err := os.ReadFile(env.Registry.CAFile)
	if err != nil {
		t.Fatal(err)
	}
	image := env.Registry.Images["traefik"] // host/repository:tag
	repoPath, tag, ok := strings.Cut(strings.TrimPrefix(image, env.Registry.Host+"/"), ":")
	if !ok {
		t.Fatalf("env.json's traefik image %q is not %s/<repository>:<tag>", image, env.Registry.Host)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	acct := Account{CA: ca, Username: env.Registry.PullUser, Password: env.Registry.PullPassword}
	repo, err := registryapi.Open(ctx, env.Registry.Host, repoPath, ca, acct.Username, acct.Password)
	if err != nil {
		t.Fatal(err)
	}
	defer repo.Close()
	m, err := repo.Manifest(ctx, tag)
	if err != nil {
		t.Fatal(err)
	}
	// A digest names the manifest's exact bytes.
	ref := fmt.Sprintf("%s/%s@sha256:%x", env.Registry.Host, repoPath, sha256.Sum256(m.Body))

	img, err := Read(ctx, repo, ref[strings.LastIndex(ref, "@")+1:])
	if err != nil {
		t.Fatal(err)
	}
	server := append(append([]string{}, img.Config.Entrypoint...), img.Config.Cmd...)
	if len(server) == 0 || !img.Files.IsExecutable(server[0]) {
		t.Errorf("Traefik's own program %v is not an executable file of the image read from the registry", server)
	}

	t.Setenv("XDG_CACHE_HOME", t.TempDir()) // no pass mark of an earlier run
	chart, err := FromChart("../../charts/inter-hub", []string{"migrate"})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	err = Verify(ctx, ref, acct, chart)
	t.Logf("%s read and checked in %.2fs:\n%v", ref, time.Since(start).Seconds(), err)
	if err == nil {
		t.Fatal("the Traefik image passed the app's contract")
	}
	for _, want := range []string{"does not hold what the chart runs in it", "the migration command migrate", "no directory /app/static"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the error lacks %q", want)
		}
	}
	if strings.Contains(err.Error(), "the server") {
		t.Errorf("the error says Traefik's image has no server")
	}

	acct.Password = "wrong"
	if err := Verify(ctx, ref, acct, chart); err == nil || strings.Contains(err.Error(), "does not hold") {
		t.Errorf("a wrong pull password: %v", err)
	}
}
