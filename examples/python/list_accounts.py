#!/usr/bin/env python3
"""Lists the accounts the caller may see, through the KAM Suite gateway.

Generate the stubs once (clients/python/generate.sh OUT_DIR), then:
  PYTHONPATH=OUT_DIR KAM_ADDR=127.0.0.1:50051 KAM_TOKEN=... \
    python3 examples/python/list_accounts.py [--name-prefix PREFIX]
Prints one line per account: id, name, owner and tier, separated by tabs, like the C++
example. A failed call prints "error: <CODE>: <message>" on stderr and exits with 1.
"""
import argparse
import json
import os
import sys

import grpc

from kam.accounts.v1 import accounts_pb2_grpc, archive_pb2

# Reads may be retried on UNAVAILABLE (the gateway restarting); writes never are: repeat a
# write with the same request_id instead. The same policy as the C++ kit's Client.
SERVICE_CONFIG = json.dumps({
    "methodConfig": [{
        "name": [{"service": "kam.accounts.v1.AccountService", "method": "ListAccounts"}],
        "retryPolicy": {
            "maxAttempts": 3,
            "initialBackoff": "0.05s",
            "maxBackoff": "0.5s",
            "backoffMultiplier": 2,
            "retryableStatusCodes": ["UNAVAILABLE"],
        },
    }],
})


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--addr", default=os.environ.get("KAM_ADDR", "127.0.0.1:50051"))
    parser.add_argument("--token", default=os.environ.get("KAM_TOKEN", ""))
    parser.add_argument("--api-key", default=os.environ.get("KAM_API_KEY", ""))
    parser.add_argument("--name-prefix", default="")
    parser.add_argument("--timeout", type=float, default=10, help="seconds per call")
    args = parser.parse_args()

    # The gateway takes a bearer token or an API key, never both.
    if args.token:
        metadata = [("authorization", "Bearer " + args.token)]
    elif args.api_key:
        metadata = [("x-api-key", args.api_key)]
    else:
        metadata = []

    options = [("grpc.service_config", SERVICE_CONFIG), ("grpc.enable_retries", 1)]
    with grpc.insecure_channel(args.addr, options=options) as channel:
        stub = accounts_pb2_grpc.AccountServiceStub(channel)
        request = archive_pb2.ListAccountsRequest(name_prefix=args.name_prefix, page_size=500)
        while True:
            try:
                page = stub.ListAccounts(request, metadata=metadata, timeout=args.timeout)
            except grpc.RpcError as error:
                print(f"error: {error.code().name}: {error.details()}", file=sys.stderr)
                return 1
            for account in page.accounts:
                tier = archive_pb2.Tier.Name(account.tier)
                print(f"{account.id}\t{account.name}\t{account.owner_id}\t{tier}")
            if not page.next_page_token:
                return 0
            request.page_token = page.next_page_token


if __name__ == "__main__":
    sys.exit(main())
