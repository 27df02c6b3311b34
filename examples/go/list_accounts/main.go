// Lists the accounts the caller may see, through the KAM Suite gateway, like
// examples/cpp/list_accounts and examples/python/list_accounts.py (docs/CLIENTS.md, "Go").
//
//	KAM_ADDR=127.0.0.1:50051 KAM_TOKEN=... list_accounts [-name-prefix PREFIX]
//
// Prints id, name, owner and tier per account, separated by tabs. A failed call prints
// "error: <CODE>: <message>" on stderr and exits with 1.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	accountsv1 "kam.example/client/kam/accounts/v1"
)

// Reads are retried on UNAVAILABLE, writes never: the policy of the C++ kit's Client.
const serviceConfig = `{"methodConfig":[{"name":[{"service":"kam.accounts.v1.AccountService",
"method":"ListAccounts"}],"retryPolicy":{"maxAttempts":3,"initialBackoff":"0.05s",
"maxBackoff":"0.5s","backoffMultiplier":2,"retryableStatusCodes":["UNAVAILABLE"]}}]}`

func main() {
	namePrefix := flag.String("name-prefix", "", "only accounts whose name starts with this")
	flag.Parse()
	addr := os.Getenv("KAM_ADDR")
	if addr == "" {
		addr = "127.0.0.1:50051"
	}
	// WithInsecure: Debian 12's grpc-go is 1.33, older than credentials/insecure (newer
	// grpc-go: grpc.WithTransportCredentials(insecure.NewCredentials())).
	conn, err := grpc.Dial(addr, grpc.WithInsecure(), grpc.WithDefaultServiceConfig(serviceConfig))
	if err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
	defer conn.Close()
	client := accountsv1.NewAccountServiceClient(conn)

	// The gateway takes a bearer token or an API key, never both.
	ctx := context.Background()
	if token := os.Getenv("KAM_TOKEN"); token != "" {
		ctx = metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+token)
	} else if key := os.Getenv("KAM_API_KEY"); key != "" {
		ctx = metadata.AppendToOutgoingContext(ctx, "x-api-key", key)
	}

	request := &accountsv1.ListAccountsRequest{NamePrefix: *namePrefix, PageSize: 500}
	for {
		callCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
		page, err := client.ListAccounts(callCtx, request)
		cancel()
		if err != nil {
			s := status.Convert(err)
			fmt.Fprintf(os.Stderr, "error: %s: %s\n", upperSnake(s.Code().String()), s.Message())
			os.Exit(1)
		}
		for _, account := range page.Accounts {
			fmt.Printf("%d\t%s\t%s\t%s\n", account.Id, account.Name, account.OwnerId, account.Tier)
		}
		if page.NextPageToken == "" {
			return
		}
		request.PageToken = page.NextPageToken
	}
}

// "PermissionDenied" (grpc-go's name of a code) as "PERMISSION_DENIED", the name the C++ and
// Python examples print.
func upperSnake(name string) string {
	var out strings.Builder
	for i, r := range name {
		if i > 0 && r >= 'A' && r <= 'Z' {
			out.WriteByte('_')
		}
		out.WriteRune(r)
	}
	return strings.ToUpper(out.String())
}
