"""A Python gRPC client against a running `qv serve` (run by scripts/grpc-test.sh).

Usage: grpc_client_test.py STUBS_DIR HOST:PORT ACCESS_TOKEN

STUBS_DIR holds the modules grpcio-tools generated from proto/quantumvibe/v1.
Checks: health (grpc.health.v1) is SERVING; reflection lists our services;
a Bell job submitted through gRPC is watched to COMPLETED and its result has
only 00/11 summing to the shots; a random job id is NOT_FOUND; no credential
is UNAUTHENTICATED; a bad program is INVALID_ARGUMENT `parse_error`.
"""

import sys
import uuid

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha.proto_reflection_descriptor_database import (
    ProtoReflectionDescriptorDatabase,
)

sys.path.insert(0, sys.argv[1])
from quantumvibe.v1 import jobs_pb2, jobs_pb2_grpc  # noqa: E402

TARGET, TOKEN = sys.argv[2], sys.argv[3]
BELL = 'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[2];\ncreg c[2];\nh q[0];\ncx q[0],q[1];\nmeasure q -> c;\n'
AUTH = [("authorization", f"Bearer {TOKEN}")]


def error_code(e):
    return dict(e.trailing_metadata() or ()).get("qv-error-code")


def main():
    channel = grpc.insecure_channel(TARGET)

    health = health_pb2_grpc.HealthStub(channel)
    for service in ["", "quantumvibe.v1.JobService", "quantumvibe.v1.BackendService"]:
        status = health.Check(health_pb2.HealthCheckRequest(service=service), timeout=10).status
        assert status == health_pb2.HealthCheckResponse.SERVING, (service, status)
    print("health: SERVING")

    # grpcio-reflection's client speaks v1alpha; the server answers v1 and v1alpha.
    services = ProtoReflectionDescriptorDatabase(channel).get_services()
    for want in ["quantumvibe.v1.JobService", "quantumvibe.v1.BackendService", "grpc.health.v1.Health"]:
        assert want in services, services
    print("reflection:", ", ".join(sorted(services)))

    jobs = jobs_pb2_grpc.JobServiceStub(channel)
    submitted = jobs.SubmitJob(
        jobs_pb2.SubmitJobRequest(
            program=jobs_pb2.Program(format="qasm2", source=BELL), shots=1000, seed=42
        ),
        metadata=AUTH,
        timeout=10,
    )
    print("submitted", submitted.id, jobs_pb2.JobStatus.Name(submitted.status))

    statuses = [
        jobs_pb2.JobStatus.Name(ev.status)
        for ev in jobs.WatchJob(jobs_pb2.WatchJobRequest(id=submitted.id), metadata=AUTH, timeout=60)
    ]
    print("watched", " -> ".join(statuses))
    assert statuses[-1] == "JOB_STATUS_COMPLETED", statuses

    result = jobs.GetJobResult(jobs_pb2.GetJobResultRequest(id=submitted.id), metadata=AUTH, timeout=10)
    counts = dict(result.counts)
    print("counts", counts)
    assert set(counts) <= {"00", "11"} and sum(counts.values()) == 1000, counts

    try:
        jobs.GetJob(jobs_pb2.GetJobRequest(id=str(uuid.uuid4())), metadata=AUTH, timeout=10)
        raise AssertionError("a random id was found")
    except grpc.RpcError as e:
        assert e.code() == grpc.StatusCode.NOT_FOUND, e
        print("random id:", e.code().name, error_code(e))

    try:
        jobs.ListJobs(jobs_pb2.ListJobsRequest(), timeout=10)
        raise AssertionError("listed without a credential")
    except grpc.RpcError as e:
        assert e.code() == grpc.StatusCode.UNAUTHENTICATED, e
        print("no credential:", e.code().name, error_code(e))

    try:
        bad = jobs_pb2.Program(format="qasm2", source="OPENQASM 2.0;\nqreg q[1];\nfoo q[0];\n")
        jobs.SubmitJob(jobs_pb2.SubmitJobRequest(program=bad), metadata=AUTH, timeout=10)
        raise AssertionError("a bad program was accepted")
    except grpc.RpcError as e:
        assert e.code() == grpc.StatusCode.INVALID_ARGUMENT, e
        assert error_code(e) == "parse_error", e.trailing_metadata()
        print("bad program:", e.code().name, error_code(e), e.details())

    print("python gRPC client: all checks passed")


if __name__ == "__main__":
    main()
