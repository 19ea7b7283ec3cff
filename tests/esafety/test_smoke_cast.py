def test_the_cast_has_two_schools_with_a_user_per_role(cast):
    assert cast.a.school != cast.b.school
    assert set(cast.a.users) == {"teacher", "dsl", "head", "it", "office", "governor", "lead", "trust", "chair"}
