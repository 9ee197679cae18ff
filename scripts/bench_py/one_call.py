everything__echo(message="x")
