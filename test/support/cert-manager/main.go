// Command cert-manager-controller runs the part of cert-manager's controller
// that the end-to-end tests need: the Certificate lifecycle controllers, the
// CertificateRequest approver, the SelfSigned and CA signers and the Issuer and
// ClusterIssuer controllers. cert-manager's own cmd/controller is a separate Go
// module that the module proxy does not serve, so this wires the same
// controllers from the library packages of github.com/cert-manager/cert-manager.
//
// It stops when its stdin closes (as well as on SIGINT/SIGTERM): the test
// process holds the other end of a pipe, so a test runner that is killed
// outright still takes this process with it.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sync/errgroup"
	"k8s.io/klog/v2"

	"github.com/cert-manager/cert-manager/pkg/controller"
	logf "github.com/cert-manager/cert-manager/pkg/logs"

	// Each of these packages registers its controller (or issuer
	// implementation) with cert-manager's registries in init().
	"github.com/cert-manager/cert-manager/pkg/controller/certificaterequests/approver"
	crca "github.com/cert-manager/cert-manager/pkg/controller/certificaterequests/ca"
	crselfsigned "github.com/cert-manager/cert-manager/pkg/controller/certificaterequests/selfsigned"
	"github.com/cert-manager/cert-manager/pkg/controller/certificates/issuing"
	"github.com/cert-manager/cert-manager/pkg/controller/certificates/keymanager"
	"github.com/cert-manager/cert-manager/pkg/controller/certificates/readiness"
	"github.com/cert-manager/cert-manager/pkg/controller/certificates/requestmanager"
	"github.com/cert-manager/cert-manager/pkg/controller/certificates/revisionmanager"
	"github.com/cert-manager/cert-manager/pkg/controller/certificates/trigger"
	"github.com/cert-manager/cert-manager/pkg/controller/clusterissuers"
	"github.com/cert-manager/cert-manager/pkg/controller/issuers"
	_ "github.com/cert-manager/cert-manager/pkg/issuer/ca"
	_ "github.com/cert-manager/cert-manager/pkg/issuer/selfsigned"
)

// The controllers this program runs, by the names they register under. Any of
// them missing from cert-manager's registry is a wiring error, not something
// to run without.
var wanted = []string{
	trigger.ControllerName,
	issuing.ControllerName,
	keymanager.ControllerName,
	requestmanager.ControllerName,
	readiness.ControllerName,
	revisionmanager.ControllerName,
	approver.ControllerName,
	crselfsigned.CRControllerName,
	crca.CRControllerName,
	issuers.ControllerName,
	clusterissuers.ControllerName,
}

func main() {
	kubeconfig := flag.String("kubeconfig", "", "path to the kubeconfig of the cluster to run against (required)")
	clusterResourceNamespace := flag.String("cluster-resource-namespace", "kube-system", "namespace holding the Secrets that ClusterIssuers refer to")
	namespace := flag.String("namespace", "", "namespace to watch; empty watches all namespaces")
	workers := flag.Int("workers", 5, "concurrent workers per controller")
	klogFlags := flag.NewFlagSet("klog", flag.ExitOnError)
	klog.InitFlags(klogFlags)
	flag.Func("v", "log verbosity (klog levels; cert-manager logs reconcile detail at 2 and above)", func(s string) error {
		return klogFlags.Set("v", s)
	})
	flag.Parse()
	if *kubeconfig == "" {
		fmt.Fprintln(os.Stderr, "cert-manager-controller: --kubeconfig is required")
		os.Exit(2)
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		signals := make(chan os.Signal, 1)
		signal.Notify(signals, syscall.SIGINT, syscall.SIGTERM)
		<-signals
		cancel()
	}()
	go func() {
		// EOF (or any read error) means the parent is gone.
		_, _ = io.Copy(io.Discard, os.Stdin)
		klog.Info("stdin closed, stopping")
		cancel()
	}()

	ctx = logf.NewContext(ctx, klog.Background())
	if err := run(ctx, *kubeconfig, *namespace, *clusterResourceNamespace, *workers); err != nil {
		fmt.Fprintf(os.Stderr, "cert-manager-controller: %v\n", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, kubeconfig, namespace, clusterResourceNamespace string, workers int) error {
	known := controller.Known()
	var missing []string
	for _, name := range wanted {
		if _, ok := known[name]; !ok {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("controllers not registered by the imported cert-manager packages: %s", strings.Join(missing, ", "))
	}

	// The values cert-manager's controller configuration defaults to, so the
	// controllers behave as in a real install; only the namespaces come from
	// flags, which the tests choose.
	factory, err := controller.NewContextFactory(ctx, controller.ContextOptions{
		Kubeconfig:         kubeconfig,
		KubernetesAPIQPS:   20,
		KubernetesAPIBurst: 50,
		Namespace:          namespace,
		IssuerOptions: controller.IssuerOptions{
			ClusterResourceNamespace: clusterResourceNamespace,
		},
		CertificateOptions: controller.CertificateOptions{
			CertificateRequestMinimumBackoffDuration: time.Hour,
			CertificateRequestMaximumBackoffDuration: 32 * time.Hour,
		},
	})
	if err != nil {
		return fmt.Errorf("building the controller context from %s: %w", kubeconfig, err)
	}
	base, err := factory.Build()
	if err != nil {
		return fmt.Errorf("building the base controller context: %w", err)
	}

	g, gctx := errgroup.WithContext(ctx)
	for _, name := range wanted {
		iface, err := known[name](factory)
		if err != nil {
			return fmt.Errorf("constructing controller %s: %w", name, err)
		}
		g.Go(func() error {
			if err := iface.Run(workers, gctx); err != nil {
				return fmt.Errorf("controller %s: %w", name, err)
			}
			return nil
		})
	}

	// The constructors above registered the informers they need; starting the
	// factories after them starts exactly those.
	base.SharedInformerFactory.Start(gctx.Done())
	base.KubeSharedInformerFactory.Start(gctx.Done())

	sorted := append([]string(nil), wanted...)
	sort.Strings(sorted)
	// The test support code waits for this line before creating resources.
	klog.InfoS("cert-manager controllers started", "controllers", strings.Join(sorted, ","))

	err = g.Wait()
	base.KubeSharedInformerFactory.Shutdown()
	base.SharedInformerFactory.Shutdown()
	return err
}
