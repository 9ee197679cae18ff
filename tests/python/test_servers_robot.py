"""The simulated robot servers in examples/servers, and the seed policies run unchanged against them."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from servers_harness import POLICIES, SERVERS, McpProcess, error_text, run_policy  # noqa: E402

import sim_world  # noqa: E402  (examples/servers is on sys.path once servers_harness is imported)


class RobotServersCase(unittest.TestCase):
    """Starts the three servers once on a temporary ROBOT_SIM_DIR; every test gets a fresh world."""

    @classmethod
    def setUpClass(cls):
        cls.sim_dir = tempfile.mkdtemp(prefix="orch-robot-sim-test-")
        env = {"ROBOT_SIM_DIR": cls.sim_dir, "ROBOT_SIM_LATENCY_MS": "0"}
        cls.ros = McpProcess(os.path.join(SERVERS, "ros_mcp_server.py"), env)
        cls.isaac = McpProcess(os.path.join(SERVERS, "isaac_sim.py"), env)
        cls.res = McpProcess(os.path.join(SERVERS, "resources.py"), env)
        cls.clients = {"ros-mcp-server": cls.ros, "isaac-sim": cls.isaac, "Resources": cls.res}
        for c in cls.clients.values():
            c.initialize()

    @classmethod
    def tearDownClass(cls):
        for c in cls.clients.values():
            c.close()
        shutil.rmtree(cls.sim_dir, ignore_errors=True)

    def setUp(self):
        for name in ("world.json", "resources.json"):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(os.path.join(self.sim_dir, name))


class TestRobotSchemas(RobotServersCase):
    def test_server_names(self):
        self.assertEqual(self.ros.initialize()["serverInfo"]["name"], "ros-mcp-server")
        self.assertEqual(self.isaac.initialize()["serverInfo"]["name"], "isaac-sim")
        self.assertEqual(self.res.initialize()["serverInfo"]["name"], "Resources")

    def test_ros_tools(self):
        tools = self.ros.tools()
        self.assertEqual(set(tools), {"move_home", "move_to_grasp", "control_gripper", "verify_grasp", "stop",
                                      "get_robot_state", "pub_twist", "place_object", "list_objects"})
        s = tools["move_to_grasp"]["inputSchema"]
        self.assertEqual(s["required"], ["object_name", "grasp_id"])
        self.assertEqual(list(s["properties"]),
                         ["object_name", "grasp_id", "mode", "move_to_object", "move_to_safe_height"])
        p = s["properties"]
        self.assertEqual(p["object_name"]["type"], "string")
        self.assertEqual(p["grasp_id"]["type"], "integer")
        self.assertEqual((p["mode"]["enum"], p["mode"]["default"]), (["sim", "real"], "sim"))
        self.assertEqual((p["move_to_object"]["type"], p["move_to_object"]["default"]), ("boolean", False))
        self.assertIn("precomputed grasp pose", p["grasp_id"]["description"])
        self.assertTrue(tools["move_to_grasp"]["description"].startswith("Move the arm to a grasp pose"))
        twist = tools["pub_twist"]["inputSchema"]
        self.assertEqual(twist["required"], ["linear", "angular"])
        self.assertEqual(twist["properties"]["linear"]["items"], {"type": "number"})
        self.assertEqual(twist["properties"]["duration"]["default"], 0.0)
        self.assertEqual(tools["control_gripper"]["inputSchema"]["required"], ["state"])
        self.assertNotIn("required", tools["stop"]["inputSchema"])
        for t in tools.values():
            self.assertTrue(t["description"], t["name"])
            for name, prop in t["inputSchema"]["properties"].items():
                self.assertTrue(prop.get("description"), "%s.%s has no description" % (t["name"], name))

    def test_ros_tools_with_stable_results_publish_an_output_schema_their_results_match(self):
        tools = self.ros.tools()
        typed = {n for n, t in tools.items() if "outputSchema" in t}
        self.assertEqual(typed, {"move_home", "control_gripper", "stop", "pub_twist", "list_objects"})
        gripper = tools["control_gripper"]
        self.assertEqual(gripper["inputSchema"]["properties"]["state"]["enum"], ["open", "close"])
        out = gripper["outputSchema"]
        self.assertEqual(out["properties"]["state"]["enum"], ["open", "closed"])
        self.assertNotIn("required", out)  # a physical failure has only success, error and robot
        objects = tools["list_objects"]["outputSchema"]
        self.assertEqual(objects["required"], ["objects", "count", "locations"])
        item = objects["properties"]["objects"]["items"]
        self.assertEqual(item["properties"]["grasp_ids"], {"type": "array", "items": {"type": "integer"}})
        for name, args in (("list_objects", {}), ("stop", {"reason": "t"}), ("control_gripper", {"state": "open"}),
                           ("pub_twist", {"linear": [0, 0, 0], "angular": [0, 0, 0]}), ("move_home", {})):
            result = self.ros.call(name, args)
            schema = tools[name]["outputSchema"]
            content = result["structuredContent"]
            self.assertLessEqual(set(schema.get("required", [])), set(content), name)
            self.assertLessEqual(set(content), set(schema["properties"]), name)

    def test_isaac_and_resources_tools(self):
        tools = self.isaac.tools()
        self.assertTrue({"save_scene_state", "restore_scene_state", "get_object_pose", "reset_scene",
                         "list_scene_states"} <= set(tools))
        self.assertEqual(tools["restore_scene_state"]["inputSchema"]["properties"]["scene_id"]["default"], "")
        tools = self.res.tools()
        s = tools["get_object_grasp_configs_by_result"]["inputSchema"]
        self.assertEqual(s["required"], ["assembly_id", "object_name", "result"])
        w = tools["write_assembly_resource"]["inputSchema"]
        self.assertEqual(w["required"], ["assembly_id", "object_name", "sequence_id", "assembled_into", "tools_trials"])
        self.assertEqual(w["properties"]["tools_trials"]["items"], {"type": "object", "additionalProperties": True})
        self.assertEqual(w["properties"]["sequence_id"]["type"], "integer")


class TestSeedPolicies(RobotServersCase):
    def test_simple_grasp(self):
        out = run_policy(os.path.join(POLICIES, "simple_grasp.py"), self.clients)
        self.assertEqual(out, "✓ Grasp successful!\n")
        state = self.ros.value("get_robot_state")
        self.assertEqual((state["holding"], state["arm"]["pose"]), ("block_1", "safe_height"))

    def test_error_recovery_fails_twice_then_succeeds(self):
        out = run_policy(os.path.join(POLICIES, "error_recovery.py"), self.clients)
        self.assertEqual(out, (
            "Saved scene state: scene_0001\n\n"
            "Attempting grasp 0...\n✗ Grasp 0 failed, restoring scene...\n\n"
            "Attempting grasp 1...\n✗ Grasp 1 failed, restoring scene...\n\n"
            "Attempting grasp 2...\n✓ Grasp 2 succeeded!\n"
        ))
        pose = self.isaac.value("get_object_pose", {"object_name": "gear"})
        self.assertEqual((pose["held"], pose["attached_to"], pose["position"][2]), (True, "gripper", 0.3))

    def test_error_recovery_without_fresh_world_reports_failures(self):
        run_policy(os.path.join(POLICIES, "simple_grasp.py"), self.clients)  # leaves block_1 in the gripper
        out = run_policy(os.path.join(POLICIES, "error_recovery.py"), self.clients)
        self.assertTrue(out.endswith("All grasp attempts failed\n"), out)

    def test_assembly_with_resource_tracking(self):
        out = run_policy(os.path.join(POLICIES, "assembly_tracking.py"), self.clients)
        self.assertEqual(out, "Found 2 successful grasp configs\n\nTrying grasp 3 with gripper close\n"
                              "✓ Successfully grasped using config 3\n")
        record = self.res.value("get_assembly_resource", {"assembly_id": "3"})
        trials = record["sequence"][0]["tools_trials"]
        self.assertEqual(trials[-1]["grasp_id"], 3)
        self.assertEqual(record["revision"], 2)

    def test_success_rate_usage_example(self):
        out = run_policy(os.path.join(POLICIES, "success_rate.py"), self.clients)
        self.assertIn("✓ Object 0 grasped successfully", out)
        self.assertIn("Success rate: 1/5 (20.0%)", out)


class TestWorld(RobotServersCase):
    def test_grasp_truth_table_is_what_happens(self):
        for name, (_, _, _, grasps) in sim_world.OBJECTS.items():
            for gid in grasps:
                self.isaac.value("reset_scene")
                pre = sim_world.gripper_prestate(name, gid)
                self.ros.value("control_gripper", {"state": pre})
                self.ros.value("move_to_grasp", {"object_name": name, "grasp_id": gid, "move_to_object": True})
                if pre == "open":
                    self.ros.value("control_gripper", {"state": "close"})
                self.ros.value("move_to_grasp", {"object_name": name, "grasp_id": gid, "move_to_safe_height": True})
                verdict = self.ros.value("verify_grasp", {"object_name": name})["result"]
                self.assertEqual(verdict, sim_world.grasp_outcome(name, gid), "%s grasp %d" % (name, gid))

    def test_wrong_gripper_prestate_fails_the_approach(self):
        self.ros.value("control_gripper", {"state": "close"})
        r = self.ros.value("move_to_grasp", {"object_name": "gear", "grasp_id": 2, "move_to_object": True})
        self.assertFalse(r["success"])
        self.assertIn("needs the gripper open", r["error"])
        self.isaac.value("reset_scene")
        r = self.ros.value("move_to_grasp", {"object_name": "gear", "grasp_id": 3, "move_to_object": True})
        self.assertIn("cannot enter the bore", r["error"])

    def test_shared_world_save_and_restore(self):
        ros, isaac = self.ros, self.isaac
        start = isaac.value("get_object_pose", {"object_name": "gear"})
        self.assertEqual((start["position"], start["held"]), ([0.55, 0.15, 0.012], False))
        ros.value("move_to_grasp", {"object_name": "gear", "grasp_id": 2, "move_to_object": True})
        ros.value("control_gripper", {"state": "close"})
        ros.value("move_to_grasp", {"object_name": "gear", "grasp_id": 2, "move_to_safe_height": True})
        held = isaac.value("get_object_pose", {"object_name": "gear"})
        self.assertEqual((held["held"], held["position"]), (True, [0.55, 0.15, 0.3]))
        scene = isaac.value("save_scene_state", {"label": "gear up"})
        self.assertEqual(scene, "scene_0001")
        ros.value("pub_twist", {"linear": [0.5, 0, 0], "angular": [0, 0, 0], "duration": 2})
        dropped = ros.value("control_gripper", {"state": "open"})
        self.assertEqual(dropped["notes"], ["released 'gear'"])
        self.assertEqual(isaac.value("get_object_pose", {"object_name": "gear"})["position"], [0.55, 0.15, 0.012])
        self.assertEqual(ros.value("verify_grasp", {"object_name": "gear"})["result"], "FAILURE")
        restored = isaac.value("restore_scene_state")
        self.assertEqual((restored["scene_id"], restored["robot"]["holding"]), ("scene_0001", "gear"))
        state = ros.value("get_robot_state")
        self.assertEqual((state["gripper"]["state"], state["holding"]), ("closed", "gear"))
        self.assertEqual(state["mobile_base"], {"x": 0.0, "y": 0.0, "yaw": 0.0})  # the base moved, then came back
        self.assertEqual(ros.value("verify_grasp", {"object_name": "gear"})["result"], "SUCCESS")
        isaac.value("save_scene_state")
        self.assertEqual(isaac.value("restore_scene_state", {"scene_id": "scene_0001"})["scene_id"], "scene_0001")
        listing = isaac.value("list_scene_states")
        self.assertEqual((listing["count"], listing["latest"]), (2, "scene_0002"))
        self.assertIn("unknown scene_id 'scene_9999'",
                      error_text(isaac.call("restore_scene_state", {"scene_id": "scene_9999"})))

    def test_restore_without_snapshots_and_failed_grasp_nudges(self):
        self.assertIn("no saved scene states", error_text(self.isaac.call("restore_scene_state")))
        self.ros.value("move_to_grasp", {"object_name": "gear", "grasp_id": 0, "move_to_object": True})
        r = self.ros.value("control_gripper", {"state": "close"})
        self.assertIsNone(r["holding"])
        self.assertIn("slipped", r["notes"][0])
        pose = self.isaac.value("get_object_pose", {"object_name": "gear"})
        self.assertEqual(pose["position"], [0.562, 0.146, 0.012])

    def test_place_object_assembles_gear_into_base(self):
        self.ros.value("control_gripper", {"state": "close"})
        self.ros.value("move_to_grasp", {"object_name": "gear", "grasp_id": 3, "move_to_object": True})
        placed = self.ros.value("place_object", {"object_name": "gear", "target": "base"})
        self.assertEqual((placed["success"], placed["assembled"]), (True, True))
        pose = self.isaac.value("get_object_pose", {"object_name": "gear"})
        self.assertEqual((pose["attached_to"], pose["held"], pose["position"]), ("base", False, [0.65, 0.0, 0.032]))
        again = self.ros.value("place_object", {"object_name": "gear", "target": "bin"})
        self.assertEqual((again["success"], again["error"]), (False, "not holding 'gear' (the gripper holds nothing)"))

    def test_errors_name_tool_and_argument(self):
        ros = self.ros
        self.assertIn("move_home: mode='real' refused: no robot hardware is attached",
                      error_text(ros.call("move_home", {"mode": "real"})))
        self.assertIn("argument 'mode': expected one of \"sim\", \"real\"",
                      error_text(ros.call("move_home", {"mode": "lab"})))
        self.assertIn("move_to_grasp: unknown object_name 'cup'; known objects: base, block_1, gear",
                      error_text(ros.call("move_to_grasp", {"object_name": "cup", "grasp_id": 0})))
        self.assertIn("grasp_id 9 is not defined for 'gear'; valid grasp ids: 0..4",
                      error_text(ros.call("move_to_grasp", {"object_name": "gear", "grasp_id": 9})))
        self.assertEqual(error_text(ros.call("move_to_grasp", {"object_name": "gear"})),
                         "Invalid arguments for tool move_to_grasp: missing required argument 'grasp_id'")
        self.assertIn("argument 'state': expected one of \"open\", \"close\", got \"half\"",
                      error_text(ros.call("control_gripper", {"state": "half"})))
        self.assertIn("pub_twist: linear must have 3 components",
                      error_text(ros.call("pub_twist", {"linear": [1], "angular": [0, 0, 0]})))
        self.assertIn("unknown assembly_id '99'",
                      error_text(self.res.call("get_assembly_resource", {"assembly_id": "99"})))
        self.assertIn("argument 'assembly_id': expected string, got integer 3",
                      error_text(self.res.call("get_assembly_resource", {"assembly_id": 3})))
        self.assertIn("tools_trials[0] needs a 'result'", error_text(self.res.call("write_assembly_resource", {
            "assembly_id": "3", "object_name": "gear", "sequence_id": 1, "assembled_into": "base",
            "tools_trials": [{"grasp_id": 1}]})))
        self.assertEqual(self.ros.value("get_robot_state")["last_command"], None)  # refused calls changed nothing

    def test_stop_is_counted_and_cleared_by_motion(self):
        self.assertEqual(self.ros.value("stop", {"reason": "orch abort"})["stop_count"], 1)
        state = self.ros.value("get_robot_state")
        self.assertEqual((state["motion_state"], state["stop_count"], state["last_stop"]["reason"]),
                         ("stopped", 1, "orch abort"))
        self.ros.value("move_home")
        self.assertEqual(self.ros.value("get_robot_state")["motion_state"], "idle")

    def test_resources_configs_agree_with_truth(self):
        configs = self.res.value("get_object_grasp_configs_by_result",
                                 {"assembly_id": "3", "object_name": "gear", "result": "success"})
        self.assertEqual([(c["grasp_id"], c["gripper_state"]) for c in configs], [(3, "close"), (2, "open")])
        for c in configs:
            self.assertEqual(sim_world.grasp_outcome("gear", c["grasp_id"]), "SUCCESS")
            self.assertEqual(sim_world.gripper_prestate("gear", c["grasp_id"]), c["gripper_state"])
        failures = self.res.value("get_object_grasp_configs_by_result",
                                  {"assembly_id": "3", "object_name": "gear", "result": "FAILURE"})
        self.assertEqual([c["grasp_id"] for c in failures], [0, 1])
        self.assertEqual(self.res.value("get_object_grasp_configs_by_result",
                                        {"assembly_id": "3", "object_name": "block_1", "result": "SUCCESS"}), [])
        self.assertEqual(self.res.value("list_assemblies")["count"], 3)

    def test_concurrent_calls_across_servers_are_serialised(self):
        ids = []
        for i in range(25):
            ids.append((self.ros, self.ros.start_request("tools/call", {"name": "stop", "arguments": {}})))
            ids.append((self.isaac, self.isaac.start_request("tools/call",
                                                             {"name": "save_scene_state", "arguments": {}})))
            ids.append((self.ros, self.ros.start_request("tools/call", {"name": "move_home", "arguments": {}})))
        for client, msg_id in ids:
            self.assertFalse(client.wait_response(msg_id)["result"]["isError"])
        self.assertEqual(self.ros.value("get_robot_state")["stop_count"], 25)
        self.assertEqual(self.isaac.value("list_scene_states")["count"], 25)
        self.assertFalse([f for f in os.listdir(self.sim_dir) if f.endswith(".tmp")])

    def test_capture_image_is_a_png(self):
        result = self.isaac.call("capture_image", {"width": 32, "height": 24})
        item = result["content"][0]
        self.assertEqual((item["type"], item["mimeType"]), ("image", "image/png"))
        import base64

        self.assertTrue(base64.b64decode(item["data"]).startswith(b"\x89PNG\r\n\x1a\n"))

    def test_outcomes_are_deterministic_across_worlds(self):
        def run():
            self.setUp()
            return run_policy(os.path.join(POLICIES, "error_recovery.py"), self.clients) + json.dumps(
                self.ros.value("get_robot_state"), sort_keys=True)

        self.assertEqual(run(), run())


class TestLatency(unittest.TestCase):
    def test_latency_env_delays_each_call(self):
        sim_dir = tempfile.mkdtemp(prefix="orch-robot-sim-test-")
        self.addCleanup(shutil.rmtree, sim_dir, True)
        s = McpProcess(os.path.join(SERVERS, "ros_mcp_server.py"),
                       {"ROBOT_SIM_DIR": sim_dir, "ROBOT_SIM_LATENCY_MS": "300"})
        self.addCleanup(s.close)
        s.initialize()
        start = time.monotonic()
        s.value("get_robot_state")
        elapsed = time.monotonic() - start
        self.assertGreaterEqual(elapsed, 0.3)
        # ping carries no simulated latency: sent after a delayed call, it is answered while that call still runs.
        call_id = s.start_request("tools/call", {"name": "get_robot_state", "arguments": {}})
        self.assertEqual(s.request("ping")["result"], {})
        with s.cond:
            self.assertNotIn(call_id, s.responses, "the ping waited for the delayed call")
        self.assertIn("result", s.wait_response(call_id))


if __name__ == "__main__":
    unittest.main()
