-- The seed's "Complete Database Setup" script and its credit deduction function,
-- copied verbatim from shared/seed/mail-assist-database-schema.txt.
-- 1. Create profiles table
CREATE TABLE IF NOT EXISTS profiles (
id UUID REFERENCES auth.users ON DELETE CASCADE,
email TEXT,
credits INTEGER DEFAULT 300,
created_at TIMESTAMPTZ DEFAULT NOW() NOT NULL,
updated_at TIMESTAMPTZ DEFAULT NOW() NOT NULL,
PRIMARY KEY (id)
);-- 2. Create user_mails table
CREATE TABLE IF NOT EXISTS user_mails (
id UUID DEFAULT gen_random_uuid() PRIMARY KEY,
user_id UUID REFERENCES profiles(id) ON DELETE CASCADE,
recipient_email TEXT NOT NULL,
subject TEXT NOT NULL,
content TEXT NOT NULL,
mail_type TEXT NOT NULL CHECK (mail_type IN ('custom', 'template')),
credits_used INTEGER NOT NULL,
sent_at TIMESTAMPTZ DEFAULT NOW() NOT NULL
);-- 3. Create indexes
CREATE INDEX IF NOT EXISTS idx_user_mails_user_id_sent_at
ON user_mails(user_id, sent_at DESC);
CREATE INDEX IF NOT EXISTS idx_user_mails_mail_type
ON user_mails(mail_type);
CREATE INDEX IF NOT EXISTS idx_user_mails_recipient
ON user_mails(recipient_email);-- 4. Enable RLS
ALTER TABLE profiles ENABLE ROW LEVEL SECURITY;
ALTER TABLE user_mails ENABLE ROW LEVEL SECURITY;-- 5. Create RLS policies
-- Profiles policies
CREATE POLICY "Users can view own profile" ON profiles
FOR SELECT USING (auth.uid() = id);
CREATE POLICY "Users can update own profile" ON profiles
FOR UPDATE USING (auth.uid() = id);
CREATE POLICY "Users can insert own profile" ON profiles
FOR INSERT WITH CHECK (auth.uid() = id);-- User mails policies
CREATE POLICY "Users can view own mails" ON user_mails
FOR SELECT USING (auth.uid() = user_id);
CREATE POLICY "Users can insert own mails" ON user_mails
FOR INSERT WITH CHECK (auth.uid() = user_id);-- 6. Create trigger for profile creation
CREATE OR REPLACE FUNCTION public.handle_new_user()
RETURNS TRIGGER AS $$
BEGIN
INSERT INTO public.profiles (id, email)
VALUES (NEW.id, NEW.email);
RETURN NEW;
END;
$$ LANGUAGE plpgsql SECURITY DEFINER;
CREATE TRIGGER on_auth_user_created
AFTER INSERT ON auth.users
FOR EACH ROW EXECUTE PROCEDURE public.handle_new_user();

CREATE OR REPLACE FUNCTION deduct_credits_and_log_email(
p_user_id UUID,
p_recipient_email TEXT,
p_subject TEXT,
p_content TEXT,
p_mail_type TEXT,
p_credits_needed INTEGER
) RETURNS JSON AS $$-- Variable declaration
DECLARE
current_credits INTEGER;
new_credits INTEGER;
result JSON;-- Get current credits with row lock
BEGIN
SELECT credits INTO current_credits
FROM profiles
WHERE id = p_user_id
FOR UPDATE;-- Check credit balance
IF current_credits < p_credits_needed THEN
RETURN json_build_object(
'success', false,
'error', 'Insufficient credits',
'current_credits', current_credits
);
END IF;-- Calculate new balance and update
new_credits := current_credits - p_credits_needed;
UPDATE profiles
SET credits = new_credits, updated_at = NOW()
WHERE id = p_user_id;-- Log the email
INSERT INTO user_mails (
user_id, recipient_email, subject, content,
mail_type, credits_used
) VALUES (
p_user_id, p_recipient_email, p_subject, p_content,
p_mail_type, p_credits_needed
);-- Return success
RETURN json_build_object(
'success', true,
'credits_used', p_credits_needed,
'remaining_credits', new_credits
);-- Error handling
EXCEPTION WHEN OTHERS THEN
RETURN json_build_object(
'success', false,
'error', SQLERRM
);
END;
$$ LANGUAGE plpgsql SECURITY DEFINER;
