from sluicegate.inference.stop_sequences import StopSequenceFilter


def run(stop: list[str], deltas: list[str]) -> tuple[list[str], bool]:
    stops = StopSequenceFilter(stop)
    emitted = [stops.push(delta) for delta in deltas]
    emitted.append(stops.flush())
    return emitted, stops.stopped


def test_no_stop_passes_text_through():
    emitted, stopped = run([], ["Hello", ", ", "world"])
    assert "".join(emitted) == "Hello, world"
    assert not stopped


def test_stop_inside_one_delta():
    emitted, stopped = run(["END"], ["abc END def"])
    assert "".join(emitted) == "abc "
    assert stopped


def test_stop_split_across_deltas():
    emitted, stopped = run(["</answer>"], ["The answer is 4", "</an", "swer> trailing"])
    assert "".join(emitted) == "The answer is 4"
    assert stopped
    for piece in emitted:
        assert "<" not in piece


def test_partial_prefix_released_without_stop():
    emitted, stopped = run(["STOP"], ["go ST", "ILL going"])
    assert emitted[0] == "go "
    assert "".join(emitted) == "go STILL going"
    assert not stopped


def test_held_prefix_is_flushed_at_end():
    emitted, stopped = run(["\n\n"], ["line one\n"])
    assert emitted[0] == "line one"
    assert emitted[-1] == "\n"
    assert not stopped


def test_earliest_of_several_stops_wins():
    emitted, stopped = run(["world", "lo"], ["hello world"])
    assert "".join(emitted) == "hel"
    assert stopped


def test_text_after_stop_is_dropped():
    stops = StopSequenceFilter(["x"])
    assert stops.push("ax") == "a"
    assert stops.push("more") == ""
    assert stops.flush() == ""


def test_empty_stop_strings_are_ignored():
    emitted, stopped = run([""], ["abc"])
    assert "".join(emitted) == "abc"
    assert not stopped
