package components

const (
	tSecret      = "kubernetes:core/v1:Secret"
	tSecretPatch = "kubernetes:core/v1:SecretPatch"
	tPatch       = "kubernetes:apps/v1:DeploymentPatch"
	tIngress     = "kubernetes:networking.k8s.io/v1:Ingress"
	tMiddleware  = "kubernetes:traefik.io/v1alpha1:Middleware"
	tRole        = "postgresql:index/role:Role"
	tDatabase    = "postgresql:index/database:Database"
	tPassword    = "random:index/randomPassword:RandomPassword"
	tRemote      = "command:remote:Command"
	tLocal       = "command:local:Command"
)
