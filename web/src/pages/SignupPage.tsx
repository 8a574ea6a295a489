import { useState, type FormEvent } from 'react';
import { Link as RouterLink, useNavigate } from 'react-router-dom';
import { Alert, Box, Button, Link, Paper, Stack, TextField, Typography } from '@mui/material';
import { setTokens, useLoginMutation, useRegisterMutation } from '../api/client';
import { errorMessage } from '../api/types';
import { useAppDispatch } from '../store';

// Client checks mirror the server's rules so mistakes show before submitting.
const USERNAME = /^[A-Za-z0-9_.-]{3,32}$/;

export default function SignupPage() {
  const [form, setForm] = useState({ email: '', username: '', password: '', confirm: '' });
  const [error, setError] = useState<string | null>(null);
  const [touched, setTouched] = useState(false);
  const [register, { isLoading }] = useRegisterMutation();
  const [login] = useLoginMutation();
  const dispatch = useAppDispatch();
  const navigate = useNavigate();

  const problems = {
    email: /^[^@\s]+@[^@\s]+$/.test(form.email) ? '' : 'Enter an email address like name@example.org',
    username: USERNAME.test(form.username) ? '' : '3–32 characters: letters, digits, _ . -',
    // The server's policy counts characters (code points) and also refuses
    // common passwords and ones containing the username: its message says which.
    password: [...form.password].length >= 12 && [...form.password].length <= 1024 ? '' : 'At least 12 characters',
    confirm: form.confirm === form.password ? '' : 'The passwords differ',
  };
  const valid = Object.values(problems).every((p) => !p);
  const set = (k: keyof typeof form) => (e: { target: { value: string } }) => setForm({ ...form, [k]: e.target.value });

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setTouched(true);
    setError(null);
    if (!valid) return;
    const r = await register({ email: form.email, username: form.username, password: form.password });
    if ('error' in r) {
      setError(errorMessage(r.error));
      return;
    }
    // Sign straight in; fall back to the login page if that fails.
    const t = await login({ username: form.username, password: form.password });
    if ('data' in t && t.data) {
      dispatch(setTokens(t.data));
      navigate('/');
    } else {
      navigate('/login', { state: { registered: form.username } });
    }
  };

  const field = (k: keyof typeof form, label: string, type = 'text', autoComplete?: string) => (
    <TextField
      label={label} type={type} value={form[k]} onChange={set(k)} autoComplete={autoComplete} required
      error={touched && !!problems[k]} helperText={touched && problems[k] ? problems[k] : ' '}
    />
  );

  return (
    <Box sx={{ maxWidth: 460, mx: 'auto', mt: { xs: 2, sm: 6 } }}>
      <Paper sx={{ p: 3 }} variant="outlined">
        <Typography variant="h4" component="h1" gutterBottom>
          Create an account
        </Typography>
        <form onSubmit={submit} noValidate>
          <Stack spacing={1}>
            {field('email', 'Email', 'email', 'email')}
            {field('username', 'Username', 'text', 'username')}
            {field('password', 'Password', 'password', 'new-password')}
            {field('confirm', 'Confirm password', 'password', 'new-password')}
            {error && <Alert severity="error" role="alert">{error}</Alert>}
            <Button type="submit" variant="contained" disabled={isLoading}>
              Sign up
            </Button>
            <Typography variant="body2">
              Have an account? <Link component={RouterLink} to="/login">Log in</Link>
            </Typography>
          </Stack>
        </form>
      </Paper>
    </Box>
  );
}
