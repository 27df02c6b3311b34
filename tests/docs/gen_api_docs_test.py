"""scripts/gen-api-docs against a small fixture: what the check reports and what the page
says. Run by ctest (api_docs_generator_test) with Debian's python3 and the protoc to use."""

import os
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPT = os.path.join(HERE, "..", "..", "scripts", "gen-api-docs")
FIXTURE = os.path.join(HERE, "fixture")
PROTOC = os.environ.get("PROTOC", "protoc")


def run(*args):
    return subprocess.run(
        [sys.executable, SCRIPT, "--protoc", PROTOC,
         "--proto-dir", os.path.join(FIXTURE, "protos"),
         "--policy", os.path.join(FIXTURE, "policy.json"), *args],
        capture_output=True, text=True)


class GenApiDocsTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.page = os.path.join(self.tmp.name, "API.md")

    def tearDown(self):
        self.tmp.cleanup()

    def generate(self):
        self.assertEqual(run("--output", self.page).returncode, 0)
        with open(self.page, encoding="utf-8") as f:
            return f.read()

    def test_check_lists_every_undocumented_element_by_full_name(self):
        self.generate()
        result = run("--check", "--output", self.page)
        self.assertEqual(result.returncode, 1)
        self.assertIn("4 proto elements under protos/kam have no comment", result.stdout)
        for name in ["method kam.demo.v1.DemoService.Unlisted",
                     "field kam.demo.v1.GetThingRequest.undocumented_field",
                     "enum kam.demo.v1.Kind ",
                     "enum value kam.demo.v1.Kind.KIND_OTHER"]:
            self.assertIn(name, result.stdout)
        self.assertNotIn("GetThingRequest.id", result.stdout)

    def test_check_names_methods_without_policy(self):
        result = run("--check", "--output", self.page)
        self.assertIn("methods without an entry in services/gateway/policy.json:\n"
                      "  kam.demo.v1.DemoService.Unlisted\n", result.stdout)

    def test_check_tells_how_to_fix_a_stale_page(self):
        with open(self.page, "w", encoding="utf-8") as f:
            f.write("# edited by hand\n")
        result = run("--check", "--output", self.page)
        self.assertEqual(result.returncode, 1)
        self.assertIn("run scripts/gen-api-docs", result.stdout)
        self.assertIn("first difference at line 1", result.stdout)

    def test_generation_is_deterministic(self):
        self.assertEqual(self.generate(), self.generate())

    def test_page_shows_roles_streaming_idempotency_and_links(self):
        page = self.generate()
        self.assertIn("| Roles | `admin`, `director` |", page)
        self.assertIn("| Idempotency | NO_SIDE_EFFECTS", page)
        self.assertIn("| Roles | not in the gateway's policy", page)
        self.assertIn("| Response | stream [`Thing`](#kam.demo.v1.Thing) |", page)
        self.assertIn('<a id="kam.demo.v1.Thing"></a>', page)
        self.assertIn("| `kind` | [`Kind`](#kam.demo.v1.Kind) | 1 |  | Its kind \\| with a pipe. |",
                      page)
        self.assertIn("map&lt;`string`, [`Thing`](#kam.demo.v1.Thing)&gt;", page)
        self.assertIn("| `KIND_UNSPECIFIED` | 0 | Documented value. |", page)

    def test_comment_text_stays_literal(self):
        page = self.generate()
        self.assertIn("A thing with a &lt;b>tag&lt;/b> and a \\* star.\n\\# not a heading\n"
                      "\\--- not a rule", page)
        # The first comment inside a service's braces is not the service's comment.
        self.assertNotIn("section heading", page)
        # "Errors:" starts a paragraph of its own.
        self.assertIn("Documented method.\n\nErrors: NOT_FOUND", page)


if __name__ == "__main__":
    unittest.main()
