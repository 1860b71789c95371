package chartlint

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"go.yaml.in/yaml/v3"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/engine"
	"helm.sh/helm/v3/pkg/lint"
	"helm.sh/helm/v3/pkg/lint/support"

	"github.com/coulomb-social/inter-hub-deploy/components"
)

const chartDir = "../../charts/inter-hub"

const image = "127.0.0.1:5443/inter-hub@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

// programValues are the values exactly as the program builds them.
func programValues(t *testing.T, change func(*components.ReleaseArgs)) map[string]any {
	t.Helper()
	args := &components.ReleaseArgs{
		Image:            pulumi.String(image),
		ExistingSecret:   pulumi.String("inter-hub-env"),
		SecretChecksum:   pulumi.String(strings.Repeat("ab", 32)),
		ImagePullSecrets: []pulumi.StringInput{pulumi.String("inter-hub-registry")},
		ChartDigest:      strings.Repeat("cd", 32),
		Replicas:         2,
		Resources:        components.Resources{CPURequest: "100m", MemoryRequest: "256Mi", MemoryLimit: "512Mi"},
		StorageSize:      "1Gi",
		MigrateCommand:   []string{"migrate"},
		NodeSelector:     map[string]string{"kubernetes.io/os": "linux"},
		TimeoutSeconds:   600,
	}
	if change != nil {
		change(args)
	}
	return plain(t, components.ReleaseValues(args)).(map[string]any)
}

// plain turns the program's literal Pulumi inputs into plain Go values.
func plain(t *testing.T, v any) any {
	t.Helper()
	switch x := v.(type) {
	case pulumi.Map:
		out := map[string]any{}
		for k, e := range x {
			out[k] = plain(t, e)
		}
		return out
	case pulumi.StringMap:
		out := map[string]any{}
		for k, e := range x {
			out[k] = plain(t, e)
		}
		return out
	case pulumi.Array:
		out := []any{}
		for _, e := range x {
			out = append(out, plain(t, e))
		}
		return out
	case pulumi.String:
		return string(x)
	case pulumi.Int:
		return int(x)
	case pulumi.Bool:
		return bool(x)
	}
	t.Fatalf("value of type %s is not a literal", reflect.TypeOf(v))
	return nil
}

func TestHelmLint(t *testing.T) {
	linter := lint.All(chartDir, programValues(t, nil), "inter-hub", true)
	for _, m := range linter.Messages {
		if m.Severity >= support.WarningSev {
			t.Errorf("helm lint: %s", m)
		}
	}
	if linter.HighestSeverity >= support.WarningSev {
		t.Fatalf("helm lint failed (highest severity %d)", linter.HighestSeverity)
	}
}

// The chart's values.yaml declares every value the program passes, and nothing the program
// passes is left unused by a typo.
func TestProgramValuesAreDeclared(t *testing.T) {
	raw, err := os.ReadFile(chartDir + "/values.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var declared map[string]any
	if err := yaml.Unmarshal(raw, &declared); err != nil {
		t.Fatal(err)
	}
	for k := range programValues(t, nil) {
		if _, ok := declared[k]; !ok {
			t.Errorf("the program passes %q, which values.yaml does not declare", k)
		}
	}
}

// render renders the chart as Helm would for an install.
func render(t *testing.T, values map[string]any) (map[string]map[string]any, error) {
	t.Helper()
	ch, err := loader.Load(chartDir)
	if err != nil {
		t.Fatal(err)
	}
	vals, err := chartutil.ToRenderValues(ch, values, chartutil.ReleaseOptions{
		Name: "inter-hub", Namespace: "inter-hub", IsInstall: true, Revision: 1,
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	files, err := engine.Render(ch, vals)
	if err != nil {
		return nil, err
	}
	out := map[string]map[string]any{}
	for name, content := range files {
		if strings.TrimSpace(content) == "" || strings.HasSuffix(name, ".tpl") {
			continue
		}
		var doc map[string]any
		if err := yaml.Unmarshal([]byte(content), &doc); err != nil {
			t.Fatalf("%s: %v\n%s", name, err, content)
		}
		out[fmt.Sprint(doc["kind"])] = doc
	}
	return out, nil
}

func get(m any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			mm, _ := m.(map[string]any)
			m = mm[k]
		case int:
			a, _ := m.([]any)
			if k >= len(a) {
				return nil
			}
			m = a[k]
		}
	}
	return m
}

func TestRenderedManifests(t *testing.T) {
	objs, err := render(t, programValues(t, nil))
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for k := range objs {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	if strings.Join(kinds, ",") != "Deployment,Job,PersistentVolumeClaim,Service" {
		t.Fatalf("rendered kinds = %v", kinds)
	}

	d := objs["Deployment"]
	pod := get(d, "spec", "template")
	c := get(pod, "spec", "containers", 0)
	checks := map[string][2]any{
		"name":                {get(d, "metadata", "name"), "inter-hub"},
		"replicas":            {get(d, "spec", "replicas"), 2},
		"image by digest":     {get(c, "image"), image},
		"envFrom secret":      {get(c, "envFrom", 0, "secretRef", "name"), "inter-hub-env"},
		"only envFrom":        {get(c, "env"), nil},
		"secret checksum":     {get(pod, "metadata", "annotations", "checksum/secret"), strings.Repeat("ab", 32)},
		"port":                {get(c, "ports", 0, "containerPort"), 8000},
		"port name":           {get(c, "ports", 0, "name"), "http"},
		"readiness path":      {get(c, "readinessProbe", "httpGet", "path"), "/"},
		"static mount":        {get(c, "volumeMounts", 0, "mountPath"), "/app/static"},
		"static claim":        {get(pod, "spec", "volumes", 0, "persistentVolumeClaim", "claimName"), "inter-hub-static"},
		"static sync image":   {get(pod, "spec", "initContainers", 0, "image"), image},
		"static sync from":    {get(pod, "spec", "initContainers", 0, "command", 2), "/app/static/."},
		"static sync to":      {get(pod, "spec", "initContainers", 0, "volumeMounts", 0, "mountPath"), "/volume/static"},
		"memory limit":        {get(c, "resources", "limits", "memory"), "512Mi"},
		"cpu request":         {get(c, "resources", "requests", "cpu"), "100m"},
		"node selector":       {get(pod, "spec", "nodeSelector", "kubernetes.io/os"), "linux"},
		"chart digest":        {get(d, "metadata", "annotations", "inter-hub.coulomb.social/chart-digest"), strings.Repeat("cd", 32)},
		"pvc size":            {get(objs["PersistentVolumeClaim"], "spec", "resources", "requests", "storage"), "1Gi"},
		"pvc access mode":     {get(objs["PersistentVolumeClaim"], "spec", "accessModes", 0), "ReadWriteOnce"},
		"pods on one node":    {get(pod, "spec", "affinity", "podAffinity", "requiredDuringSchedulingIgnoredDuringExecution", 0, "topologyKey"), "kubernetes.io/hostname"},
		"service name":        {get(objs["Service"], "metadata", "name"), "inter-hub"},
		"service port name":   {get(objs["Service"], "spec", "ports", 0, "name"), "http"},
		"service target port": {get(objs["Service"], "spec", "ports", 0, "targetPort"), "http"},
		"pull secret":         {get(pod, "spec", "imagePullSecrets"), []any{map[string]any{"name": "inter-hub-registry"}}},
	}
	for what, pair := range checks {
		if !reflect.DeepEqual(pair[0], pair[1]) {
			t.Errorf("%s: got %#v, want %#v", what, pair[0], pair[1])
		}
	}

	j := objs["Job"]
	jc := get(j, "spec", "template", "spec", "containers", 0)
	jobChecks := map[string][2]any{
		"hook":          {get(j, "metadata", "annotations", "helm.sh/hook"), "pre-install,pre-upgrade"},
		"delete policy": {get(j, "metadata", "annotations", "helm.sh/hook-delete-policy"), "before-hook-creation"},
		"backoff":       {get(j, "spec", "backoffLimit"), 0},
		"deadline":      {get(j, "spec", "activeDeadlineSeconds"), 570},
		"restart":       {get(j, "spec", "template", "spec", "restartPolicy"), "Never"},
		"image":         {get(jc, "image"), image},
		"command":       {get(jc, "command"), []any{"sh", "-c", migrateScript(t), "migrate-job", "IHPSchema.sql", "Application/Schema.sql", "--", "migrate"}},
		"env":           {get(jc, "envFrom", 0, "secretRef", "name"), "inter-hub-env"},
		"pull secret":   {get(j, "spec", "template", "spec", "imagePullSecrets"), []any{map[string]any{"name": "inter-hub-registry"}}},
	}
	for what, pair := range jobChecks {
		if !reflect.DeepEqual(pair[0], pair[1]) {
			t.Errorf("job %s: got %#v, want %#v", what, pair[0], pair[1])
		}
	}
}

// migrateScript is the chart's migration Job script, files/migrate.sh.
func migrateScript(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(chartDir, "files", "migrate.sh"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// With the schema step off, the Job runs the migration command alone.
func TestMigrateJobWithoutSchemaStep(t *testing.T) {
	values := programValues(t, nil)
	migrate := values["migrate"].(map[string]any)
	migrate["schema"] = map[string]any{"enabled": false}
	objs, err := render(t, values)
	if err != nil {
		t.Fatal(err)
	}
	jc := get(objs["Job"], "spec", "template", "spec", "containers", 0)
	if got := get(jc, "command"); !reflect.DeepEqual(got, []any{"migrate"}) {
		t.Errorf("job command without the schema step: %#v", got)
	}
	// Enabled without files: the chart refuses to render.
	migrate["schema"] = map[string]any{"enabled": true, "files": []any{}}
	if _, err := render(t, values); err == nil || !strings.Contains(err.Error(), "migrate.schema.files is required") {
		t.Errorf("schema on without files: err = %v", err)
	}
}

// A volume every node can mount (ReadWriteMany) lets the pods spread: no pod affinity.
func TestSharedVolumeLetsPodsSpread(t *testing.T) {
	objs, err := render(t, programValues(t, func(a *components.ReleaseArgs) { a.StorageAccess = "ReadWriteMany" }))
	if err != nil {
		t.Fatal(err)
	}
	if got := get(objs["PersistentVolumeClaim"], "spec", "accessModes", 0); got != "ReadWriteMany" {
		t.Errorf("pvc access mode = %#v", got)
	}
	if got := get(objs["Deployment"], "spec", "template", "spec", "affinity"); got != nil {
		t.Errorf("affinity with a ReadWriteMany volume: %#v", got)
	}
}

func TestRenderRefusesUnpinnedImageAndMissingSecret(t *testing.T) {
	vals := programValues(t, func(a *components.ReleaseArgs) { a.Image = pulumi.String("127.0.0.1:5443/inter-hub:latest") })
	if _, err := render(t, vals); err == nil || !strings.Contains(err.Error(), "is not pinned by a sha256 digest") {
		t.Errorf("tag instead of digest: %v", err)
	}
	vals = programValues(t, func(a *components.ReleaseArgs) { a.ExistingSecret = pulumi.String("") })
	if _, err := render(t, vals); err == nil || !strings.Contains(err.Error(), "existingSecret is required") {
		t.Errorf("no secret: %v", err)
	}
}

// Without pull Secrets (a public registry) the pods name none; the chart takes names, not the
// Kubernetes objects or anything else.
func TestImagePullSecrets(t *testing.T) {
	objs, err := render(t, programValues(t, func(a *components.ReleaseArgs) { a.ImagePullSecrets = nil }))
	if err != nil {
		t.Fatal(err)
	}
	for _, spec := range []any{get(objs["Deployment"], "spec", "template", "spec"), get(objs["Job"], "spec", "template", "spec")} {
		if _, set := spec.(map[string]any)["imagePullSecrets"]; set {
			t.Errorf("imagePullSecrets set without pull Secrets: %#v", spec)
		}
	}

	two := programValues(t, func(a *components.ReleaseArgs) {
		a.ImagePullSecrets = []pulumi.StringInput{pulumi.String("a"), pulumi.String("b")}
	})
	if objs, err = render(t, two); err != nil {
		t.Fatal(err)
	}
	want := []any{map[string]any{"name": "a"}, map[string]any{"name": "b"}}
	if got := get(objs["Deployment"], "spec", "template", "spec", "imagePullSecrets"); !reflect.DeepEqual(got, want) {
		t.Errorf("deployment imagePullSecrets = %#v, want %#v", got, want)
	}

	objects := programValues(t, nil)
	objects["imagePullSecrets"] = []any{map[string]any{"name": "a"}}
	if _, err := render(t, objects); err == nil || !strings.Contains(err.Error(), "imagePullSecrets lists Secret names") {
		t.Errorf("objects instead of names: %v", err)
	}
}
