from tests.factories import sign_up
async def test_probe(api):
    await sign_up(api, "alice")
    r = await api.post('{ account(handle: "alice") { handle } }', headers={"Authorization": "Basic abc"})
    print("PUBLIC+MALFORMED", r.json())
    r = await api.post('{ account(handle: "alice") { handle } }', token="rps_bad")
    print("PUBLIC+BADTOKEN", r.json())
    r = await api.post('mutation { signUp(input: {email: "b@example.com", password: "12345678", handle: "bob", displayName: "B", birthDate: "1990-01-01", country: "US"}) { token userErrors { code } } }', headers={"Authorization": "Basic abc"})
    print("SIGNUP+MALFORMED", r.json())
