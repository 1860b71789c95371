package stacks

// Key documents one configuration key of the project. The table below is the single list of
// keys: the loader reads nothing else, unknown keys are reported against it, and tests check that
// Pulumi.yaml and docs/CONFIG.md agree with it.
type Key struct {
	Name    string // without the "inter-hub:" namespace
	Type    string // string, integer, boolean, path, list, map
	Default string // as Pulumi.yaml declares it; empty when there is none
	Secret  bool
	Need    string // required, optional, or the condition under which it is required
	Doc     string
}

// Keys is every configuration key, grouped as docs/CONFIG.md shows them.
var Keys = []Key{
	{Name: "kubernetes.kubeconfig", Type: "path", Need: "required",
		Doc: "Kubeconfig file of the target cluster. Read by the program and handed to the kubernetes provider as a secret; file references inside it are inlined."},
	{Name: "kubernetes.context", Type: "string", Need: "optional",
		Doc: "Context to use from the kubeconfig; defaults to its current-context."},
	{Name: "kubernetes.server", Type: "string", Need: "optional",
		Doc: "Apiserver URL the context must point at. Guards against deploying with a kubeconfig of another cluster."},
	{Name: "kubernetes.namespace", Type: "string", Default: "inter-hub", Need: "optional",
		Doc: "Namespace the program creates for the app."},

	{Name: "gate.nodes", Type: "boolean", Default: "true", Need: "optional",
		Doc: "Readiness gate: require at least one Ready node."},
	{Name: "gate.traefik", Type: "boolean", Default: "true", Need: "optional",
		Doc: "Readiness gate: require the IngressClass and the Traefik Deployment (and Traefik's Middleware CRD when ingress.redirect is middleware)."},
	{Name: "gate.traefikDeployment", Type: "string", Default: "kube-system/traefik", Need: "optional",
		Doc: "Namespace/name of the Traefik Deployment the gate looks for."},
	{Name: "gate.postgres", Type: "boolean", Default: "true", Need: "optional",
		Doc: "Readiness gate: require the admin login on the PostgreSQL endpoint, with CREATEROLE and CREATEDB."},
	{Name: "gate.registry", Type: "boolean", Default: "true", Need: "optional",
		Doc: "Readiness gate: require the registry's /v2/ to answer and accept the push and pull credentials, and on a gitea registry the repository's owner to exist with packages the push account may read (Gitea's /api/v1/packages/<owner>)."},
	{Name: "gate.buildHost", Type: "boolean", Default: "true", Need: "optional",
		Doc: "Readiness gate: require the build host's SSH server with the pinned host key, the client key accepted, and git, nix, skopeo, gunzip and timeout on its PATH."},
	{Name: "gate.certificates", Type: "boolean", Default: "true", Need: "optional",
		Doc: "Readiness gate: require the Ingress's certificate source: the cert-manager ClusterIssuer (and Ready, when its status says), the resolver among the Traefik Deployment's --certificatesresolvers.<name>. arguments, or the TLS Secret in the app's namespace. Nothing is checked for Traefik's default certificate."},
	{Name: "gate.pgpool", Type: "boolean", Default: "true", Need: "optional",
		Doc: "Readiness gate, when pgpool.mode is bitnami: require pgpool's Service (with port postgres.appPort when postgres.appHost names it) and Deployment, and the users Secret, with both lists of equal length, as the Secret the Deployment reads its custom users from."},
	{Name: "gate.imageContract", Type: "boolean", Default: "true", Need: "optional",
		Doc: "Require the app image to hold what the chart runs in it (deploy/app-repo/IMAGE-CONTRACT.md): the config's Cmd, the migration command (app.migrateCommand) on its PATH, the migration directory (IHP_MIGRATION_DIR), /app/static and the chart's copy command, CA certificates. Read from the registry: by the gate when the registry has the revision's image, otherwise after the build and before the release."},
	{Name: "gate.timeoutSeconds", Type: "integer", Default: "15", Need: "optional",
		Doc: "Time limit of each gate check."},

	{Name: "postgres.host", Type: "string", Need: "required",
		Doc: "Host of the PostgreSQL endpoint the program provisions through (pgpool on Railiance01)."},
	{Name: "postgres.port", Type: "integer", Default: "5432", Need: "optional",
		Doc: "Port of that endpoint."},
	{Name: "postgres.adminUser", Type: "string", Need: "required",
		Doc: "Admin role used to create the app's role and database (CREATEROLE, CREATEDB; need not be superuser)."},
	{Name: "postgres.adminPassword", Type: "string", Secret: true, Need: "required",
		Doc: "Password of the admin role."},
	{Name: "postgres.sslmode", Type: "string", Default: "require", Need: "optional",
		Doc: "libpq sslmode for the admin connection: disable, require, verify-ca or verify-full. The gate asks the endpoint whether it offers TLS (PostgreSQL's SSLRequest) and fails when this, or postgres.appSslmode for the same endpoint, needs TLS that it does not offer: bitnami's pgpool offers none unless pgpool.tls.enabled is set."},
	{Name: "postgres.appHost", Type: "string", Need: "optional",
		Doc: "Host the app connects to (in DATABASE_URL); defaults to postgres.host."},
	{Name: "postgres.appPort", Type: "integer", Need: "optional",
		Doc: "Port the app connects to; defaults to postgres.port."},
	{Name: "postgres.appSslmode", Type: "string", Need: "optional",
		Doc: "sslmode in DATABASE_URL; defaults to postgres.sslmode."},

	{Name: "database.name", Type: "string", Default: "inter_hub", Need: "optional",
		Doc: "The app's database. Protected and retained when the stack is destroyed."},
	{Name: "database.role", Type: "string", Default: "inter_hub", Need: "optional",
		Doc: "The app's login role, owner of the database. Protected and retained when the stack is destroyed."},
	{Name: "database.passwordRotation", Type: "integer", Default: "0", Need: "optional",
		Doc: "Change it (for example add one) to generate a new password for the app role; the role, pgpool and the app's Secret are updated together."},

	{Name: "pgpool.mode", Type: "string", Need: "required",
		Doc: "How the app role becomes able to log in through pgpool: bitnami (the users Secret that postgresql-ha's pgpool.customUsersSecret names, then a pgpool restart), pgenc (pg_enc on a pgpool.conf reachable from where Pulumi runs), or none (the endpoint is PostgreSQL itself)."},
	{Name: "pgpool.usersSecret", Type: "string", Default: "inter-hub-pgpool-users", Need: "used when pgpool.mode is bitnami",
		Doc: "Name of the existing Secret that postgresql-ha's pgpool.customUsersSecret names: keys usernames and passwords, two lists (split on , ; and spaces) paired by position, shared with other apps. The program reads it and writes back both lists with only its role's entry added or updated (server-side apply, field manager inter-hub-pgpool-users); every other entry and key stays, also when the stack is destroyed. Keep it out of Helm's hands (not pgpool.customUsers), or the platform's next upgrade drops the entry."},
	{Name: "pgpool.namespace", Type: "string", Need: "required when pgpool.mode is bitnami",
		Doc: "Namespace of pgpool's Deployment and of the users Secret."},
	{Name: "pgpool.service", Type: "string", Need: "required when pgpool.mode is bitnami",
		Doc: "Name of pgpool's Service in pgpool.namespace. bitnami postgresql-ha names it and the Deployment <fullname>-pgpool (<release>-pgpool when the release name contains postgresql-ha, else <release>-postgresql-ha-pgpool, or <fullnameOverride>-pgpool). When postgres.appHost is a Service name (<service>.<namespace>.svc), it must be this one."},
	{Name: "pgpool.deployment", Type: "string", Need: "required when pgpool.mode is bitnami",
		Doc: "Name of pgpool's Deployment in pgpool.namespace (named like the Service), restarted when the app role's entry in the users Secret changes."},
	{Name: "pgpool.conf", Type: "path", Need: "required when pgpool.mode is pgenc",
		Doc: "pgpool.conf whose pool_passwd file pg_enc updates."},
	{Name: "pgpool.keyFile", Type: "path", Need: "required when pgpool.mode is pgenc",
		Doc: "AES key file pgpool was started with (-k)."},

	{Name: "session.rotation", Type: "integer", Default: "0", Need: "optional",
		Doc: "Change it to generate a new IHP_SESSION_SECRET (signs everyone out)."},

	{Name: "secrets.sopsFile", Type: "path", Need: "required",
		Doc: "SOPS-encrypted YAML file of extra environment variables for the app, decrypted in-process with the age identity from SOPS_AGE_KEY_FILE or SOPS_AGE_KEY."},
	{Name: "secrets.ageKeyFile", Type: "path", Need: "optional",
		Doc: "Age identity file used when neither SOPS_AGE_KEY_FILE nor SOPS_AGE_KEY is set. Only for stacks whose key may live in the repository (the local stand-in)."},

	{Name: "registry.host", Type: "string", Need: "required",
		Doc: "Registry host[:port] the image is pushed to and pulled from."},
	{Name: "registry.kind", Type: "string", Default: "distribution", Need: "optional",
		Doc: "What serves the registry: distribution (a plain Docker/OCI registry; any repository path) or gitea (Gitea's package registry, where a repository is owner/name and the owner is the Gitea user or organization that holds the package; the gate checks that the owner exists)."},
	{Name: "registry.repository", Type: "string", Default: "inter-hub", Need: "optional",
		Doc: "Repository of the image in the registry, without the host (owner/name on a gitea registry, e.g. coulomb/inter-hub)."},
	{Name: "registry.username", Type: "string", Need: "required",
		Doc: "User the build host pushes as."},
	{Name: "registry.password", Type: "string", Secret: true, Need: "required",
		Doc: "Password of that user; sent to the build host on the command's stdin, never in its arguments or environment."},
	{Name: "registry.pullUsername", Type: "string", Need: "required",
		Doc: "Read-only user the cluster pulls the image as; must differ from registry.username. It goes with registry.pullPassword into the kubernetes.io/dockerconfigjson Secret <release.name>-registry that the app's pods and the migration Job name in imagePullSecrets."},
	{Name: "registry.pullPassword", Type: "string", Secret: true, Need: "required",
		Doc: "Password (or access token) of that user; it reaches the cluster only in that Secret, never in Helm values."},
	{Name: "registry.caFile", Type: "path", Need: "optional",
		Doc: "CA certificate the gate uses to verify the registry (when it is not publicly trusted)."},

	{Name: "build.host", Type: "string", Need: "required",
		Doc: "Build host (haskelseed) reached over SSH."},
	{Name: "build.port", Type: "integer", Default: "22", Need: "optional",
		Doc: "SSH port of the build host."},
	{Name: "build.user", Type: "string", Default: "root", Need: "optional",
		Doc: "SSH user on the build host."},
	{Name: "build.hostKey", Type: "string", Need: "required",
		Doc: "The build host's SSH public host key, as in known_hosts without the host name (for example ssh-ed25519 AAAA...). Pinned: any other key is refused."},
	{Name: "build.privateKey", Type: "string", Secret: true, Need: "required",
		Doc: "SSH private key (OpenSSH PEM, no passphrase) the program logs in with."},
	{Name: "build.checkoutDir", Type: "string", Need: "required",
		Doc: "Git checkout of the app on the build host; relative paths start at the SSH user's home."},
	{Name: "build.flakeAttr", Type: "string", Default: ".#docker", Need: "optional",
		Doc: "Flake output that builds the gzipped docker-archive image."},
	{Name: "build.timeoutSeconds", Type: "integer", Default: "3600", Need: "optional",
		Doc: "Time limit of the remote build script (enforced on the build host with timeout)."},

	{Name: "app.revision", Type: "string", Need: "required",
		Doc: "Git revision (commit, tag or branch) of the app to build and deploy. Changing it rebuilds the image and upgrades the release."},
	{Name: "app.baseUrl", Type: "string", Need: "optional",
		Doc: "Public URL of the app (IHP_BASEURL and the url output); defaults to https://<ingress.host>."},
	{Name: "app.replicas", Type: "integer", Default: "1", Need: "optional",
		Doc: "Number of app pods."},
	{Name: "app.cpuRequest", Type: "string", Default: "100m", Need: "optional",
		Doc: "CPU request of the app container."},
	{Name: "app.memoryRequest", Type: "string", Default: "256Mi", Need: "optional",
		Doc: "Memory request of the app container."},
	{Name: "app.cpuLimit", Type: "string", Need: "optional",
		Doc: "CPU limit of the app container; none when unset."},
	{Name: "app.memoryLimit", Type: "string", Default: "512Mi", Need: "optional",
		Doc: "Memory limit of the app container."},
	{Name: "app.storageSize", Type: "string", Default: "1Gi", Need: "optional",
		Doc: "Size of the PersistentVolumeClaim mounted at /app/static."},
	{Name: "app.storageClass", Type: "string", Need: "optional",
		Doc: "StorageClass of that claim; the cluster's default when unset."},
	{Name: "app.storageAccessMode", Type: "string", Default: "ReadWriteOnce", Need: "optional",
		Doc: "Access mode of that claim. ReadWriteOnce (K3s local-path) attaches it to one node, so all app pods run on that node; ReadWriteMany (a storage class that shares volumes across nodes) lets them spread."},
	{Name: "app.migrateCommand", Type: "list", Default: `["migrate"]`, Need: "optional",
		Doc: "Command the migration hook Job runs in the app image (a list, or one string split on spaces)."},
	{Name: "app.nodeSelector", Type: "map", Need: "optional",
		Doc: "Node labels the app's pods must run on."},

	{Name: "release.name", Type: "string", Default: "inter-hub", Need: "optional",
		Doc: "Helm release name; also the name of the app's Deployment and Service."},
	{Name: "release.chart", Type: "path", Default: "charts/inter-hub", Need: "optional",
		Doc: "The app chart's directory. A digest of its content is passed as a value, so any chart edit upgrades the release."},
	{Name: "release.timeoutSeconds", Type: "integer", Default: "600", Need: "optional",
		Doc: "Helm's wait limit for the release (hooks included); on failure Helm rolls back (atomic)."},
	{Name: "release.maxHistory", Type: "integer", Default: "10", Need: "optional",
		Doc: "Release revisions Helm keeps."},

	{Name: "ingress.host", Type: "string", Need: "required",
		Doc: "Public host name of the app."},
	{Name: "ingress.className", Type: "string", Default: "traefik", Need: "optional",
		Doc: "IngressClass of the Ingress."},
	{Name: "ingress.tlsSecret", Type: "string", Need: "one of ingress.tlsSecret, ingress.clusterIssuer, ingress.certResolver and ingress.defaultCertificate",
		Doc: "Existing TLS Secret in the namespace for the host."},
	{Name: "ingress.clusterIssuer", Type: "string", Need: "one of ingress.tlsSecret, ingress.clusterIssuer, ingress.certResolver and ingress.defaultCertificate",
		Doc: "cert-manager ClusterIssuer that issues the host's certificate (into the Secret <release.name>-tls)."},
	{Name: "ingress.certResolver", Type: "string", Need: "one of ingress.tlsSecret, ingress.clusterIssuer, ingress.certResolver and ingress.defaultCertificate",
		Doc: "Traefik certificate resolver (ACME) that obtains the host's certificate, named on the Ingress with traefik.ingress.kubernetes.io/router.tls.certresolver. Traefik's Deployment (gate.traefikDeployment) must define it with --certificatesresolvers.<name>.* arguments."},
	{Name: "ingress.defaultCertificate", Type: "boolean", Default: "false", Need: "one of ingress.tlsSecret, ingress.clusterIssuer, ingress.certResolver and ingress.defaultCertificate",
		Doc: "true: Traefik serves the host with its default certificate (its TLSStore default, e.g. a wildcard certificate the cluster's operator installed); the Ingress names no Secret."},
	{Name: "ingress.redirect", Type: "string", Default: "middleware", Need: "optional",
		Doc: "How http is redirected to https: middleware (the program creates a Traefik redirectScheme Middleware and an http Ingress using it) or entrypoint (Traefik already redirects its web entrypoint)."},

	{Name: "smoke.dashboards", Type: "list", Need: "optional; without it the smoke checks skip the admin login and the dashboards",
		Doc: "Paths of the app's admin dashboards (each starting with /, no duplicates) that `interhub smoke --stack` opens after the admin login, expecting HTTP 200 HTML; for example [\"/admin/dashboards/hubs\"]. Read by the smoke checks only; the program validates it."},
}

// keyIndex finds a key's definition.
func keyIndex(name string) (Key, bool) {
	for _, k := range Keys {
		if k.Name == name {
			return k, true
		}
	}
	return Key{}, false
}
