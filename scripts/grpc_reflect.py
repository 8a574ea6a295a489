"""A small grpcurl-style client that needs no stubs: it reads the server's
descriptors through reflection and speaks JSON (protobuf's JSON mapping).

  python scripts/grpc_reflect.py HOST:PORT list
  python scripts/grpc_reflect.py HOST:PORT describe quantumvibe.v1.JobService
  python scripts/grpc_reflect.py HOST:PORT call quantumvibe.v1.JobService/GetJob '{"id": "..."}' \
      -H "authorization: Bearer $TOKEN"

Needs grpcio and grpcio-reflection (scripts/grpc-test.sh installs them into
scripts/.venv-grpc). Plaintext (h2c) only, as `qv serve` speaks.
"""

import argparse
import sys

import grpc
from google.protobuf import descriptor_pool, json_format, message_factory
from grpc_reflection.v1alpha.proto_reflection_descriptor_database import (
    ProtoReflectionDescriptorDatabase,
)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("target", help="HOST:PORT")
    p.add_argument("command", choices=["list", "describe", "call"])
    p.add_argument("name", nargs="?", help="SERVICE (describe) or SERVICE/METHOD (call)")
    p.add_argument("data", nargs="?", default="{}", help="the request as JSON (call)")
    p.add_argument("-H", "--header", action="append", default=[], help="'name: value' metadata")
    a = p.parse_args()

    channel = grpc.insecure_channel(a.target)
    db = ProtoReflectionDescriptorDatabase(channel)
    pool = descriptor_pool.DescriptorPool(db)
    if a.command == "list":
        print("\n".join(sorted(db.get_services())))
        return 0
    if a.command == "describe":
        service = pool.FindServiceByName(a.name)
        print(f"service {service.full_name} {{")
        for m in service.methods:
            out = ("stream " if m.server_streaming else "") + m.output_type.full_name
            print(f"  rpc {m.name}({m.input_type.full_name}) returns ({out});")
        print("}")
        return 0

    service_name, method_name = a.name.split("/")
    method = pool.FindServiceByName(service_name).methods_by_name[method_name]
    request_class = message_factory.GetMessageClass(method.input_type)
    response_class = message_factory.GetMessageClass(method.output_type)
    request = json_format.Parse(a.data, request_class())
    metadata = [tuple(part.strip() for part in h.split(":", 1)) for h in a.header]
    metadata = [(k.lower(), v) for k, v in metadata]
    path = f"/{service_name}/{method_name}"
    kinds = (request_class.SerializeToString, response_class.FromString)
    try:
        if method.server_streaming:
            for response in channel.unary_stream(path, *kinds)(request, metadata=metadata):
                print(json_format.MessageToJson(response))
        else:
            print(json_format.MessageToJson(channel.unary_unary(path, *kinds)(request, metadata=metadata)))
    except grpc.RpcError as e:
        trailers = dict(e.trailing_metadata() or ())
        print(f"ERROR:\n  Code: {e.code().name}\n  Message: {e.details()}", file=sys.stderr)
        for key in ("qv-error-code", "retry-after"):
            if key in trailers:
                print(f"  {key}: {trailers[key]}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
