package components

import (
	"fmt"

	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/apiextensions"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	networkingv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/networking/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Redirect says how plain http is sent to https (inter-hub:ingress.redirect).
type Redirect string

const (
	// RedirectMiddleware creates a Traefik redirectScheme Middleware and an Ingress on the web
	// entrypoint that uses it.
	RedirectMiddleware Redirect = "middleware"
	// RedirectEntrypoint relies on Traefik redirecting its whole web entrypoint.
	RedirectEntrypoint Redirect = "entrypoint"
)

// TLSSource says where the host's certificate comes from (the inter-hub:ingress.* key that
// chose it).
type TLSSource string

const (
	TLSFromSecret             TLSSource = "tlsSecret"          // an existing Secret in the namespace
	TLSFromClusterIssuer      TLSSource = "clusterIssuer"      // cert-manager issues it into <Name>-tls
	TLSFromCertResolver       TLSSource = "certResolver"       // Traefik's own ACME resolver
	TLSFromDefaultCertificate TLSSource = "defaultCertificate" // Traefik's default certificate
)

// TLS is the Ingress's certificate: its source and, except for the default certificate, the
// name of the Secret, ClusterIssuer or resolver. One value holds both, so that a second source
// cannot be set by mistake.
type TLS struct {
	Source TLSSource
	Name   string
}

// NameIf is the source's name when the certificate comes from that source, else empty.
func (t TLS) NameIf(source TLSSource) string {
	if t.Source != source {
		return ""
	}
	return t.Name
}

// Traefik's annotations on Ingress objects.
const (
	annEntrypoints = "traefik.ingress.kubernetes.io/router.entrypoints"
	annTLS         = "traefik.ingress.kubernetes.io/router.tls"
	annMiddlewares = "traefik.ingress.kubernetes.io/router.middlewares"
	annIssuer      = "cert-manager.io/cluster-issuer"
	annResolver    = "traefik.ingress.kubernetes.io/router.tls.certresolver"
)

// IngressArgs configures the app's Ingress.
type IngressArgs struct {
	Namespace pulumi.StringInput
	Name      string
	Host      string
	ClassName string
	// ServiceName is the chart's Service, given literally: taking it from the release's
	// outputs would make every preview show an Ingress update.
	ServiceName string
	ServicePort string // port name
	TLS         TLS
	Redirect    Redirect

	// DependsOn is the release whose Service the Ingress routes to.
	DependsOn []pulumi.Resource
}

// Ingress routes https://Host to the app through Traefik.
type Ingress struct {
	pulumi.ResourceState

	Host pulumi.StringOutput
}

// NewIngress creates the Ingress (and, in middleware mode, the http redirect).
func NewIngress(ctx *pulumi.Context, name string, args *IngressArgs, opts ...pulumi.ResourceOption) (*Ingress, error) {
	switch src := args.TLS.Source; {
	case src == TLSFromDefaultCertificate && args.TLS.Name != "":
		return nil, fmt.Errorf("ingress %s: the default certificate takes no name (%q)", name, args.TLS.Name)
	case src == TLSFromDefaultCertificate:
	case src != TLSFromSecret && src != TLSFromClusterIssuer && src != TLSFromCertResolver:
		return nil, fmt.Errorf("ingress %s: unknown TLS source %q", name, src)
	case args.TLS.Name == "":
		return nil, fmt.Errorf("ingress %s: the TLS source %s needs a name", name, src)
	}
	if args.Redirect != RedirectMiddleware && args.Redirect != RedirectEntrypoint {
		return nil, fmt.Errorf("ingress %s: unknown redirect mode %q", name, args.Redirect)
	}
	in := &Ingress{}
	if err := ctx.RegisterComponentResource("inter-hub:app:Ingress", name, in, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(in)

	annotations := pulumi.StringMap{
		annEntrypoints: pulumi.String("websecure"),
		annTLS:         pulumi.String("true"),
	}
	tls := &networkingv1.IngressTLSArgs{Hosts: pulumi.StringArray{pulumi.String(args.Host)}}
	switch args.TLS.Source {
	case TLSFromClusterIssuer:
		annotations[annIssuer] = pulumi.String(args.TLS.Name)
		tls.SecretName = pulumi.String(args.Name + "-tls")
	case TLSFromSecret:
		tls.SecretName = pulumi.String(args.TLS.Name)
	case TLSFromCertResolver:
		annotations[annResolver] = pulumi.String(args.TLS.Name)
	}
	// With no Secret named, Traefik serves the host with its default certificate or the
	// resolver's; a named Secret that does not exist makes it drop the whole Ingress.
	main, err := networkingv1.NewIngress(ctx, name, &networkingv1.IngressArgs{
		Metadata: &metav1.ObjectMetaArgs{
			Name:        pulumi.String(args.Name),
			Namespace:   args.Namespace,
			Annotations: annotations,
			Labels:      pulumi.StringMap{"app.kubernetes.io/name": pulumi.String("inter-hub")},
		},
		Spec: &networkingv1.IngressSpecArgs{
			IngressClassName: pulumi.String(args.ClassName),
			Tls:              networkingv1.IngressTLSArray{tls},
			Rules:            rules(args),
		},
	}, parent, pulumi.DependsOn(args.DependsOn))
	if err != nil {
		return nil, fmt.Errorf("ingress %s: %w", args.Name, err)
	}

	if args.Redirect == RedirectMiddleware {
		mwName := args.Name + "-redirect-https"
		mw, err := apiextensions.NewCustomResource(ctx, name+"-redirect-https", &apiextensions.CustomResourceArgs{
			ApiVersion: pulumi.String("traefik.io/v1alpha1"),
			Kind:       pulumi.String("Middleware"),
			Metadata: &metav1.ObjectMetaArgs{
				Name:      pulumi.String(mwName),
				Namespace: args.Namespace,
			},
			OtherFields: kubernetes.UntypedArgs{
				"spec": pulumi.Map{"redirectScheme": pulumi.Map{
					"scheme":    pulumi.String("https"),
					"permanent": pulumi.Bool(true),
				}},
			},
		}, parent)
		if err != nil {
			return nil, fmt.Errorf("redirect middleware: %w", err)
		}
		_, err = networkingv1.NewIngress(ctx, name+"-http", &networkingv1.IngressArgs{
			Metadata: &metav1.ObjectMetaArgs{
				Name:      pulumi.String(args.Name + "-http"),
				Namespace: args.Namespace,
				Annotations: pulumi.StringMap{
					annEntrypoints: pulumi.String("web"),
					// Traefik names CRD middlewares <namespace>-<name>@kubernetescrd.
					annMiddlewares: pulumi.Sprintf("%s-%s@kubernetescrd", args.Namespace, mwName),
				},
				Labels: pulumi.StringMap{"app.kubernetes.io/name": pulumi.String("inter-hub")},
			},
			Spec: &networkingv1.IngressSpecArgs{
				IngressClassName: pulumi.String(args.ClassName),
				Rules:            rules(args),
			},
		}, parent, pulumi.DependsOn(append([]pulumi.Resource{mw}, args.DependsOn...)))
		if err != nil {
			return nil, fmt.Errorf("http redirect ingress: %w", err)
		}
	}

	in.Host = main.Spec.Rules().Index(pulumi.Int(0)).Host().Elem()
	if err := ctx.RegisterResourceOutputs(in, pulumi.Map{"host": in.Host}); err != nil {
		return nil, err
	}
	return in, nil
}

func rules(args *IngressArgs) networkingv1.IngressRuleArray {
	return networkingv1.IngressRuleArray{&networkingv1.IngressRuleArgs{
		Host: pulumi.String(args.Host),
		Http: &networkingv1.HTTPIngressRuleValueArgs{
			Paths: networkingv1.HTTPIngressPathArray{&networkingv1.HTTPIngressPathArgs{
				Path:     pulumi.String("/"),
				PathType: pulumi.String("Prefix"),
				Backend: &networkingv1.IngressBackendArgs{
					Service: &networkingv1.IngressServiceBackendArgs{
						Name: pulumi.String(args.ServiceName),
						Port: &networkingv1.ServiceBackendPortArgs{Name: pulumi.String(args.ServicePort)},
					},
				},
			}},
		},
	}}
}
